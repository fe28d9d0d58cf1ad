// Copy buttons of the "Cite" box: copy the text of the element named by data-copy, and always say what
// happened in the #copy-status live region. Without the asynchronous clipboard (plain http, older browsers)
// the text is selected and copied with execCommand; if even that fails, it stays selected for Ctrl+C.
(function () {
  "use strict";

  function announce(key) {
    var status = document.getElementById("copy-status");
    if (!status) { return; }
    // A change of text is what a screen reader reads: clear first, so the same message twice is read twice.
    status.textContent = "";
    setTimeout(function () { status.textContent = status.getAttribute("data-" + key) || ""; }, 50);
  }

  function select(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallback(source) {
    select(source);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {
      copied = false;
    }
    announce(copied ? "copied" : "selected");
  }

  function confirm(button) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = "✓ " + label;
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent).then(function () {
        announce("copied");
        confirm(button);
      }, function () { fallback(source); });
    } else {
      fallback(source);
    }
  });
}());
