/* Upload page enhancement: drag and drop onto the file field, the chosen files listed, and a transfer
   progress bar. Without this script the plain multi-file form works the same way. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector(".dropzone");
  var list = document.getElementById("chosen");
  var bar = document.getElementById("upload-progress");

  function showChosen() {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    Array.prototype.forEach.call(input.files, function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)";
      list.appendChild(li);
    });
  }

  input.addEventListener("change", showChosen);
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      showChosen();
    }
  });

  form.addEventListener("submit", function (e) {
    if (!input.files.length) { return; }
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) { bar.value = Math.round(100 * ev.loaded / ev.total); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 413 || xhr.status >= 400) {
        document.open(); document.write(xhr.responseText); document.close();
        return;
      }
      window.location.assign(xhr.responseURL || form.action);
    });
    xhr.addEventListener("error", function () { form.submit(); });
    form.querySelector("button[type=submit]").disabled = true;
    xhr.send(new FormData(form));
  });
}());

/* The list of recent files follows each file to its end state without reloading the page: the status
   endpoint is asked every few seconds while a file is processed or waits in review (an editor may
   publish, withdraw or delete it), and each row's state and links are redrawn from the answer. */
(function () {
  "use strict";
  var table = document.querySelector("table.records[data-status-url]");
  if (!table || !window.fetch || !window.JSON) { return; }
  var url = table.getAttribute("data-status-url");
  var labels = JSON.parse(table.getAttribute("data-labels") || "{}");
  var BUSY_MS = 2000, WAITING_MS = 5000, FAILED_MS = 15000;

  function busy(rec) { return rec.status === "queued" || rec.status === "running"; }
  function unfinished(rec) { return busy(rec) || (rec.status === "ok" && rec.state === "review"); }

  function stateKey(rec) {
    if (rec.status === "queued" && rec.lane === "slow") { return "queued_slow"; }
    if (rec.status === "ok" && (rec.state === "published" || rec.state === "withdrawn" || rec.state === "deleted")) {
      return rec.state;
    }
    return labels[rec.status] ? rec.status : "error";
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function render(row, rec) {
    var state = row.querySelector(".rec-state"), what = row.querySelector(".rec-what");
    var hint = what.querySelector(".hint");              // "A volume with N articles." stays as it was
    row.className = "state-" + rec.status;
    row.setAttribute("data-state", rec.state || rec.status);
    clear(state);
    state.appendChild(document.createTextNode(labels[stateKey(rec)]));
    if (rec.progress && rec.progress.label) {
      state.appendChild(document.createElement("br"));
      state.appendChild(span("progress-note", rec.progress.label +
        (rec.progress.total ? ": " + rec.progress.done + " / " + rec.progress.total : "")));
    }
    clear(what);
    if (rec.message) { what.appendChild(span("message", rec.message)); }
    if (rec.state === "review" && rec.review_url) {
      what.appendChild(link(rec.review_url, labels.review_link));
    } else if ((rec.state === "published" || rec.state === "withdrawn") && rec.public_url) {
      what.appendChild(link(rec.public_url, labels.public_link));
    }
    if (hint && rec.state !== "deleted") { what.appendChild(document.createTextNode(" ")); what.appendChild(hint); }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var anyBusy = false, anyOpen = false;
        data.records.forEach(function (rec) {
          var row = table.querySelector('tr[data-record="' + rec.id + '"]');
          if (!row) { return; }                          // uploaded elsewhere since this page was drawn
          render(row, rec);
          anyBusy = anyBusy || busy(rec);
          anyOpen = anyOpen || unfinished(rec);
        });
        if (anyOpen) { window.setTimeout(poll, anyBusy ? BUSY_MS : WAITING_MS); }
      })
      .catch(function () { window.setTimeout(poll, FAILED_MS); });
  }

  var open = table.querySelector("tr.state-queued, tr.state-running, tr.state-ok");
  if (open) { window.setTimeout(poll, table.querySelector("tr.state-queued, tr.state-running") ? BUSY_MS : WAITING_MS); }
}());
