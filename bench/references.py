"""Reference lists (uploads.references): entry boundaries, fields, links to works, speed.

Run: .venv/bin/python bench/references.py [--no-timing] [--ingest-runs N] [--only dev|held-out]

1. Boundaries and fields against the hand-labelled truth (bench/data/references_truth.json): the page
   texts come from uploads.pipeline.extract_file, as the uploader keeps them; an entry counts as found
   when its text equals a labelled entry's (white space, case and dash forms aside). Field accuracy is
   over all labelled entries (an entry not found has every field wrong) and, in brackets, over found ones.
2. Links: every entry the parser reads anywhere in the corpus is linked to the best work of
   bench/data/references_works.json when match_score reaches LINK_THRESHOLD; the entries that really
   cite one are in bench/data/references_links.json. The corpus holds few such citations, so CITING below
   adds four articles of our own (Russian GOST with "//", Russian with ". –", a transliterated
   "References" list, a Kazakh list in Cyrillic and Latin script) that cite corpus works in many forms
   next to near misses; they are rendered to PDF and read back through extract_file.
3. Speed: the parser over every article of the 385-page volume (in a fresh process, imports included)
   against the volume's ingest with uploads.pipeline.process_file.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, REPO  # noqa: E402

from uploads.references import LINK_THRESHOLD, find_reference_lists, match_score, parse_entry  # noqa: E402
from uploads.references.matching import normalise_title, skeleton  # noqa: E402

DATA = REPO / "bench" / "data"
VOLUME = "collections/ru_sterlitamak_mathphys_2021_vol1.pdf"
FIELDS = ("authors", "title", "container", "year", "pages", "doi", "url")
_PAGES: dict[str, list[str]] = {}
_DOCS: dict = {}


# --------------------------------------------------------------------------- text of corpus files


def extracted(rel: str):
    """uploads.pipeline.extract_file for a corpus file (cached for this run)."""
    if rel not in _DOCS:
        from uploads.pipeline import extract_file

        _DOCS[rel] = extract_file(CORPUS / rel, allow_ocr=False)
    return _DOCS[rel]


def page_texts(rel: str) -> list[str]:
    """The cleaned page texts the uploader keeps for a corpus file."""
    if rel not in _PAGES:
        _PAGES[rel] = [p.text for p in extracted(rel).pages]
    return _PAGES[rel]


# --------------------------------------------------------------------------- comparison


def norm_raw(text: str) -> str:
    """Entry text for boundary comparison: no white space, lower case, one dash, no final full stop."""
    t = re.sub(r"\s+", "", text).lower().replace("ё", "е")
    return re.sub("[\u2010-\u2015\u2212]", "-", t).rstrip(".;,")


def _author_key(name: str) -> str:
    words = re.findall(r"[^\W\d_]+", name.lower().replace("ё", "е"))
    if not words:
        return ""
    return words[0] + " " + "".join(w[0] for w in words[1:])


def field_equal(field: str, got, want) -> bool:
    """Whether a parsed field matches the label (case, punctuation and spacing aside)."""
    if field == "authors":
        return [_author_key(a) for a in got] == [_author_key(a) for a in want]
    if field == "year":
        return got == want
    if field in ("title", "container"):
        return normalise_title(got or "") == normalise_title(want or "")
    if field == "pages":
        return re.sub(r"[^\d-]", "", (got or "").replace("–", "-")) == re.sub(r"[^\d-]", "", (want or "").replace("–", "-"))
    return (got or "").lower().rstrip("/.") == (want or "").lower().rstrip("/.")


def _language(raw: str) -> str:
    if re.search("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]", raw) and re.search("[а-яА-Я]", raw):
        return "kk"
    return "en/latin" if len(re.findall("[A-Za-z]", raw)) > len(re.findall("[А-Яа-яЁё]", raw)) else "ru"


def predict(doc: dict) -> list:
    """The parser's entries for one labelled document (all its lists, in order)."""
    pages = page_texts(doc["file"])[doc["first_page"] - 1: doc["last_page"]]
    lists = find_reference_lists(pages, title=doc.get("title", ""), next_title=doc.get("next_title", ""))
    return [e for lst in lists for e in lst.entries]


def score_documents(docs: list[dict]) -> dict:
    """Boundary precision/recall/F1 and per-field counts over labelled documents, with per-group splits."""
    rows = []          # (group tags, truth entry, predicted entry or None)
    n_pred = 0
    for doc in docs:
        pred = predict(doc)
        n_pred += len(pred)
        by_text: dict[str, list] = {}
        for e in pred:
            by_text.setdefault(norm_raw(e.raw), []).append(e)
        for lst in doc["lists"]:
            for t in lst["entries"]:
                found = by_text.get(norm_raw(t["raw"]))
                got = found.pop(0) if found else None
                tags = {"all", doc["group"], _language(t["raw"])} | ({"page-break"} if t.get("page_break") else set())
                rows.append((tags, t, got))
    tp = sum(1 for _, _, g in rows if g is not None)
    p = tp / n_pred if n_pred else 0.0
    r = tp / len(rows) if rows else 0.0
    out = {"entries": len(rows), "predicted": n_pred, "tp": tp, "precision": p, "recall": r,
           "f1": 2 * p * r / (p + r) if p + r else 0.0, "groups": {}}
    for tag in sorted({t for tags, _, _ in rows for t in tags}):
        sel = [(t, g) for tags, t, g in rows if tag in tags]
        found = [(t, g) for t, g in sel if g is not None]
        grp = {"entries": len(sel), "found": len(found)}
        for f in FIELDS:
            ok = sum(1 for t, g in found if field_equal(f, getattr(g, f), t.get(f)))
            grp[f] = (ok / len(sel), ok / len(found) if found else 0.0)
        out["groups"][tag] = grp
    return out


def load_truth(only: str = "") -> list[dict]:
    """The labelled documents (optionally only one group)."""
    docs = json.loads((DATA / "references_truth.json").read_text(encoding="utf-8"))["documents"]
    return [d for d in docs if not only or d["group"] == only]


# --------------------------------------------------------------------------- links


def load_works() -> list[dict]:
    """Works of the test archive (id, title, year, surnames)."""
    return json.loads((DATA / "references_works.json").read_text(encoding="utf-8"))["works"]


class WorkIndex:
    """Candidate works for an entry: those sharing a title word skeleton (what an archive would look up)."""

    def __init__(self, works: list[dict]):
        self.works = works
        self.index: dict[str, set[int]] = {}
        for i, w in enumerate(works):
            for tok in {skeleton(x) for x in normalise_title(w["title"]).split()}:
                if len(tok) >= 3:
                    self.index.setdefault(tok, set()).add(i)

    def best(self, ref) -> tuple[dict | None, float]:
        """The best-scoring work and its score (None under LINK_THRESHOLD)."""
        text = ref.title or ref.raw.split("//")[0]
        cands: set[int] = set()
        for tok in {skeleton(x) for x in normalise_title(text).split()}:
            cands |= self.index.get(tok, set())
        best, best_s = None, 0.0
        for i in cands:
            w = self.works[i]
            s = match_score(ref, w["title"], w["year"], w["surnames"])
            if s > best_s:
                best, best_s = w, s
        return (best, best_s) if best_s >= LINK_THRESHOLD else (None, best_s)


def corpus_entries() -> list[tuple[str, object]]:
    """(source file, entry) for every entry the parser reads in the corpus's PDF and DOCX files."""
    links = json.loads((DATA / "references_links.json").read_text(encoding="utf-8"))
    out = []
    files = sorted(p.relative_to(CORPUS).as_posix() for sub in ("pdf", "docx", "collections")
                   for p in (CORPUS / sub).iterdir())
    for rel in files:
        if rel in links["lists_without_heading"]:
            # a list of works without a reference heading: one entry a paragraph
            for page in page_texts(rel):
                for para in re.split(r"\n\s*\n", page):
                    if para.strip():
                        out.append((rel, parse_entry(para)))
            continue
        try:
            doc = extracted(rel)
        except Exception as exc:  # noqa: BLE001 - a file the uploader refuses has no references to link
            print(f"  ({rel}: {exc})")
            continue
        pages = [p.text for p in doc.pages]
        if doc.is_volume:
            arts = doc.articles
            for k, a in enumerate(arts):
                nxt = arts[k + 1] if k + 1 < len(arts) else None
                chunk = pages[a.first_page - 1: nxt.first_page if nxt else a.last_page]
                for lst in find_reference_lists(chunk, a.title, nxt.title if nxt else ""):
                    out += [(rel, e) for e in lst.entries]
        else:
            for lst in find_reference_lists(pages):
                out += [(rel, e) for e in lst.entries]
    return out


def score_links(entries: list[tuple[str, object, str | None]], index: WorkIndex) -> dict:
    """Precision/recall of links; ``entries`` are (label, entry, id of the work it cites or None)."""
    tp = fp = fn = 0
    mistakes = []
    for label, ref, want in entries:
        got, s = index.best(ref)
        gid = got["id"] if got else None
        if gid and want and (gid == want or want in got.get("same_as", [])):
            gid = want
        if gid and gid == want:
            tp += 1
        elif gid:
            fp += 1
            mistakes.append(f"  wrong link {s:.2f} {label}: {ref.raw[:90]} -> {gid}")
        if want and gid != want:
            fn += 1
            mistakes.append(f"  missed     {s:.2f} {label}: {ref.raw[:90]} (cites {want})")
    return {"entries": len(entries), "tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "mistakes": mistakes}


def labelled_corpus_links() -> list[tuple[str, object, str | None]]:
    """Every corpus entry with the work it cites according to references_links.json."""
    links = json.loads((DATA / "references_links.json").read_text(encoding="utf-8"))["links"]
    out = []
    for rel, ref in corpus_entries():
        want = None
        for link in links:
            if link["source"] == rel and norm_raw(ref.raw).startswith(norm_raw(link["entry"])):
                want = link["work"]
        out.append((rel, ref, want))
    return out


# --------------------------------------------------------------------------- citing articles of our own

H = "Вестник тестового университета. Серия гуманитарная. 2023. № 1"
# Each article: body, heading, entries as (text, id of the cited work or None). Entries that cite a work
# vary case, ё/е, dashes, hyphenation, subtitle, citation style and script; the None entries are near
# misses (same authors and year with another title, the same title with another year or author, a
# shorter generic title) and ordinary references to works outside the archive.
CITING = [
    ("ru-gost", "Список литературы", [
        ("Антипова Е. А., Трифонова З. А. Региональные различия масштабов демографического старения Беларуси и России // Журн. Белорус. гос. ун-та. География. Геология. 2017. № 1. С. 38–51.", "pdf/ru_bsu_demographic_ageing_2017.pdf"),
        ("Антипова Е. А. Региональные различия демографического развития Беларуси // Журн. Белорус. гос. ун-та. География. Геология. 2017. № 2. С. 3–15.", None),
        ("Барышевский В. Г., Максименко С. А. Институт ядерных проблем БГУ: 30 лет научных исследований // Журн. Белорус. гос. ун-та. Физика. 2017. № 1. С. 4–22.", "pdf/ru_bsu_inp_30_years_2017.pdf"),
        ("Новик А. А. ПРОСТРАНСТВЕННО-ВРЕМЕННАЯ КОРРЕЛЯЦИЯ ИЗМЕНЕНИЯ ОЗЕРНЫХ УРОВНЕЙ РЕГИОНА БАЛТИЙСКИХ ПООЗЕРИЙ В ПОЗДНЕЛЕДНИКОВЬЕ И ГОЛОЦЕНЕ // Журн. Белорус. гос. ун-та. География. Геология. 2017. № 1. С. 52–61.", "pdf/ru_bsu_novik_lake_levels_2017.pdf"),
        ("Новик А. А. Пространственно-временная корреляция изменения озерных уровней региона Балтийских Поозерий в позднеледниковье и голоцене // Вестн. БГУ. Сер. 2. 2010. № 3. С. 70–76.", None),
        ("Часова Э. В., Ермак Л. Д., Ивчук В. В., Луценко Л. П. Диоксины как экологическая опасность // Вісник Криворізького технічного університету. 2010. Вип. 25. С. 243–246.", "pdf/ru_chasova_dioxins_2010.pdf"),
        ("Петров И. И. Диоксины как экологическая опасность // Экология и промышленность России. 2010. № 4. С. 12–15.", None),
        ("Часова Э. В., Ивчук В. В. Эколого-химическая характеристика и методы защиты окру-\nжающей среды от фенола // Вісник Криворізького національного університету. 2013. Вип. 34. С. 224–227.", "pdf/ru_chasova_phenol_2013.pdf"),
        ("Часова Э. В., Ивчук В. В. Методы защиты окружающей среды от фенола и его производных // Вісник Криворізького національного університету. 2013. Вип. 35. С. 110–114.", None),
        ("Алишаев М. Г. Точные решения ламинарного движения вязкой жидкости по прямолинейным трубам некруглых сечений // Вестник Дагестанского научного центра. 2014. № 1. С. 5–16.", "pdf/ru_demi_alishaev_cp1251_mojibake_2014.pdf"),
        ("Магомедов А. М. Непрерывное участие объектов в расписании с предписанными операциями // Вестник ДНЦ РАН. 2014. № 2. С. 7–13.", "pdf/ru_demi_magomedov_mixed_mojibake_2014.pdf"),
        ("Магомедов А. М., Магомедов Т. А. Интервальная на одной доле правильная рёберная 5-раскраска двудольного графа // ПДМ. 2011. № 5. С. 85–91.", None),
        ("Науменко Д. Е., Левченко В. А., Васильев А. И. Оптимизация конструкции ультрафиолетовых облучателей открытого типа // Труды 66-й конференции МФТИ. 2024. С. 120–121.", "pdf/ru_naumenko_uv_irradiators_2024.pdf"),
        ("Тихонов А. Н., Самарский А. А. Уравнения математической физики. М.: Наука, 1977. 736 с.", None),
        ("Ахапкина А. С. Неэкономические факторы инвестиционной привлекательности территорий для иностранных инвесторов : выпускная квалификационная работа. М.: РАНХиГС, 2021. 55 с.", "pdf/ru_ranepa_bachelor_thesis_2021.pdf"),
        ("Никифорова А. Д. Тематическое моделирование современной сетевой поэзии // Цифровые гуманитарные исследования. 2022. № 3. С. 40–53.", "pdf/ru_nikiforova_poetry_topics.pdf"),
    ]),
    ("ru-dash", "Литература", [
        ("Аветисян М.Г., Ревазян Р.Г. Экотоксикологическая характеристика содержания тяжелых металлов в атмосферных осадках г. Еревана. – Экологические проблемы промышленных городов. – Саратов, 2011. – Ч. 1. – С. 3–6.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p3"),
        ("Аветисян М.Г., Ревазян Р.Г. Миграция тяжелых металлов в системе почва – грунтовые воды на территории Ереванской ТЭС. – Пермь, 2009. – С. 155–161.", None),
        ("Балдина Е.А., Грищенко М.Ю. Изучение теплового загрязнения городов по тепловым снимкам LANDSAT-7/ETM+ (на примере Москвы). – Экологические проблемы промышленных городов. – Саратов, 2011. – С. 15–18.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p15"),
        ("Корбут В.В. Птицы - индикаторы состояния среды обитания. – Экологические проблемы промышленных городов. – Саратов, 2011. – С. 77–79.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p77"),
        ("Корбут В.В. Птицы городов: индикаторы и биоразнообразие. – М.: Наука, 2011. – 240 с.", None),
        ("Макарова А.А. Экологический след г. Саратова. – Экологические проблемы промышленных городов. – Саратов, 2011. – С. 246–248.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p246"),
        ("Экологический след. – Саратов, 2011. – 12 с.", None),
        ("Хвостов А.А. Проблемы Саратовского леса. – Экологические проблемы промышленных городов. – Саратов, 2011. – С. 323–325.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p323"),
        ("Калябин Г.А. Неравенства Колмогорова для пространств Соболева на отрезке. – Современные проблемы математики и физики. – Стерлитамак, 2021. – Т. I. – С. 78–81.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p78"),
        ("Калябин Г.А. Точные константы в неравенствах Колмогорова для пространств Соболева. – Матем. заметки. – 2021. – Т. 109, № 4. – С. 520–533.", None),
        ("Асхабов С.Н. Система интегро-дифференциальных уравнений типа свёртки с неоднородностью в линейной части. – Современные проблемы математики и физики. – Стерлитамак, 2021. – С. 119–123.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p119"),
        ("Асхабов С.Н. Интегро-дифференциальное уравнение типа свертки со степенной нелинейностью и неоднородностью в линейной части. – Дифференциальные уравнения. – 2020. – Т. 56, № 6. – С. 786–795.", None),
        ("Сабитов К.Б. О некоторых нерешенных задачах в теории уравнений смешанного типа. – Современные проблемы математики и физики. – Стерлитамак, 2021. – С. 366–372.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p366"),
        ("Сабитов К.Б. О некоторых задачах в теории уравнений смешанного типа. – Стерлитамак, 2021. – С. 10–12.", None),
        ("Сабитов К.Б. К теории уравнений смешанного типа. – М.: Физматлит, 2014. – 304 с.", None),
    ]),
    ("en-translit", "References", [
        ("Antipova E. A., Trifonova Z. A. Regional'nye razlichiya masshtabov demograficheskogo stareniya Belarusi i Rossii. Zhurnal Belorusskogo gosudarstvennogo universiteta. Geografiya. Geologiya. 2017. No. 1. P. 38–51 (in Russ.).", "pdf/ru_bsu_demographic_ageing_2017.pdf"),
        ("Baryshevskii V. G., Maksimenko S. A. Institut yadernykh problem BGU: 30 let nauchnykh issledovanii. J. Belarus. State Univ. Phys. 2017. No. 1. P. 4–22 (in Russ.).", "pdf/ru_bsu_inp_30_years_2017.pdf"),
        ("Rusak V. N., Abrashina-Zhadaeva N. G. K 55-letiyu kafedry vysshei matematiki i matematicheskoi fiziki fizicheskogo fakul'teta BGU. J. Belarus. State Univ. Phys. 2017. No. 1. P. 23–30 (in Russ.).", "pdf/ru_bsu_math_dept_55_years_2017.pdf"),
        ("Kadchenko S. I., Stavtseva A. V. Algoritm resheniya obratnykh spektral'nykh zadach na kvantovykh grafakh, modeliruyushchikh aromaticheskie soedineniya. Sovremennye problemy matematiki i fiziki. Sterlitamak, 2021. Vol. 1. P. 28–32 (in Russ.).", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p28"),
        ("Kadchenko S. I., Zakirova G. A. Chislennyi metod resheniya obratnykh spektral'nykh zadach. Vestnik YuUrGU. 2015. Vol. 8, No. 3. P. 116–126 (in Russ.).", None),
        ("Babajanov B. A., Babadjanova A. K., Azamatov A. Sh. Integration of the discrete sine-Gordon equation with a self-consistent source. Modern Problems of Mathematics and Physics. Sterlitamak, 2021. Vol. 1. P. 267–271.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p267"),
        ("Khasanov A. B., Urazboev G. U. On the sine-Gordon equation with a self-consistent source. Mat. Tr. 2008. Vol. 11, No. 1. P. 153–166.", None),
        ("Chasova E. V., Ivchuk V. V. Nekotorye problemy ispol'zovaniya sinteticheskikh poverkhnostno-aktivnykh veshchestv i osnovnye puti ikh resheniya. Visnyk KNU. 2014. Vol. 37. P. 180–187 (in Russ.).", "pdf/ru_chasova_surfactants_broken_encoding.pdf"),
        ("Novik A. A. Prostranstvenno-vremennaya korrelyatsiya izmeneniya ozernykh urovnei regiona Baltiiskikh Poozerii v pozdnelednikov'e i golotsene. J. Belarus. State Univ. Geogr. Geol. 2017. No. 1. P. 52–61 (in Russ.).", "pdf/ru_bsu_novik_lake_levels_2017.pdf"),
        ("Blei D. M., Ng A. Y., Jordan M. I. Latent dirichlet allocation. J. Mach. Learn. Res. 2003. Vol. 3. P. 993–1022.", None),
        ("Naumenko D. E., Levchenko V. A., Vasil'ev A. I. Optimizatsiya konstruktsii ul'trafioletovykh obluchatelei otkrytogo tipa. Trudy MFTI. 2024. P. 120–121 (in Russ.).", "pdf/ru_naumenko_uv_irradiators_2024.pdf"),
        ("Naumenko D. E. Optimizatsiya konstruktsii ul'trafioletovykh obluchatelei zakrytogo tipa. Trudy MFTI. 2024. P. 122–123 (in Russ.).", None),
    ]),
    ("kk", "Пайдаланылған әдебиеттер тізімі", [
        ("Байтұрсынұлы А. Қазақтың бас ақыны // «Қазақ» газеті. 1913. № 43.", "pdf/kk_baitursyn_bas_akyn_1913.pdf"),
        ("Baitursynuly A. Qazaqtyñ bas aqyny // Qazaq. 1913. № 43. B. 1–2.", "pdf/kk_baitursyn_bas_akyn_1913.pdf"),
        ("Байтұрсынұлы А. Қалам қайраткерлері жайынан // Еңбекші қазақ. 1922. № 29.", "pdf/kk_baitursyn_kalam_1922.pdf"),
        ("Байтұрсынұлы А. Қазақстан дәуірінің жаңа құрылымы // Еңбекші қазақ. 1926. № 225–226.", "pdf/kk_baitursyn_dauir_1926.pdf"),
        ("Baitursynuly A. Baulu mektebi // Jaña mektep. 1925. № 1. B. 22–27.", "pdf/kk_baitursyn_baulu_1925.pdf"),
        ("Байтұрсынұлы А. Шекіспей, бекіспейді // Қазақ. 1916. № 167.", "pdf/kk_baitursyn_shekispei_1916.pdf"),
        ("Байтұрсынұлы А. Шаһзаман мырзаға // Айқап. 1912. № 9–11.", "pdf/kk_baitursyn_shahzaman_1912.pdf"),
        ("Байтұрсынұлы А. Қазақ өкпесі // Айқап. 1911. № 2. Б. 12–14.", None),
        ("Құнанбаев А. Қара сөздер. – Алматы: Жазушы, 2010. – 120 б.", "pdf/kk_abai_qara_sozder.pdf"),
        ("Құнанбаев А. Өлеңдер мен поэмалар. – Алматы: Жазушы, 2010. – 240 б.", None),
        ("Куркулов Е., Сатов С. Ы.Алтынсарин және «Қырғыз хрестоматиясы». – Қостанай, 2016. – 21 б.", "pdf/kk_altynsarin_hrestomatia_2016.pdf"),
        ("Алтынсарин Ы. Қазақ хрестоматиясы. – Алматы: Білім, 2003. – 112 б.", None),
        ("Сейтқали А. Б. Тіл саясаты және қазақ ақындары // Тіл және қоғам. 2021. № 2. Б. 15–20.", None),
    ]),
]

# Written after the matcher was settled on CITING and scored as they came (a second, held-out look).
CITING_HELD = [
    ("ru-held", "СПИСОК ИСПОЛЬЗОВАННЫХ ИСТОЧНИКОВ", [
        ("Адельшин Р. Ф., Владимцева И. В. Экологическое состояние прудов г. Волгограда [Электронный ресурс] // Экологические проблемы промышленных городов : сб. науч. тр. Саратов : СГТУ, 2011. Ч. 1. С. 8–10. URL: http://example.org/eco2011.pdf (дата обращения: 01.02.2023).", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p8"),
        ("Адельшин Р. Ф. Экологическое состояние прудов г. Саратова // Экологические проблемы промышленных городов. Саратов, 2011. С. 11–13.", None),
        ("Бородина Н. А. оценка загрязнённости атмосферы малых городов // Экологические проблемы промышленных городов. Саратов, 2011. С. 27–30.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p27"),
        ("Бородина Н. А. Оценка загрязненности атмосферы крупных городов // Экология урбанизированных территорий. 2012. № 2. С. 40–44.", None),
        ("Булатов Ю. Н. Функция Грина для сингулярного оператора Бесселя // Современные проблемы математики и физики. Стерлитамак, 2021. С. 133–135.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p133"),
        ("Булатов Ю. Н. Функция Грина для сингулярного оператора Бесселя // Вестник ВГУ. 2016. № 2. С. 5–11.", None),
        ("Иванов П. П. Функция Грина для сингулярного оператора Бесселя // Дифференциальные уравнения. 2021. Т. 57, № 1. С. 10–20.", None),
        ("Сабитов И. Х. Системы гипербо-\nлического типа в проблеме пар Бонне в теории поверхностей // Современные проблемы математики и физики. Стерлитамак, 2021. С. 212–215.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p212"),
        ("Сабитов К. Б. Системы гиперболического типа в теории поверхностей // Уфимский матем. журн. 2021. Т. 13, № 2. С. 5–9.", None),
        ("Часова Э. В., Ермак Л. Д., Ивчук В. В. Биохимическая роль взаимодействия элемент-лиганд в комплексных соединениях переходных металлов // Вісник КНУ. 2012. Вип. 30. С. 200–204.", "pdf/ru_chasova_ligands_no_unicode.pdf"),
        ("Часова Э. В. Биохимическая роль микроэлементов в организме человека // Вісник КНУ. 2012. Вип. 31. С. 100–104.", None),
        ("Тихонова И. О., Крамер Д. Загрязнение донных отложений малых рек в мегаполисе // Экологические проблемы промышленных городов. Саратов, 2011. С. 312–315.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p312"),
        ("Экологическое состояние прудов. Волгоград, 2011. 40 с.", None),
        ("Райко М. В., Беляченко А. А. Жизненное состояние деревьев в пригородных лесах г. Саратова // Экологические проблемы промышленных городов. Саратов, 2011. С. 283–285.", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p283"),
    ]),
    ("latin-held", "References", [
        ("Asadzade D. A. Ob ustoichivosti bazisov iz vozmushchennykh sistem eksponent v prostranstvakh Orlicha. Sovremennye problemy matematiki i fiziki. Sterlitamak, 2021. P. 61–62 (in Russ.).", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p61"),
        ("Mamedov Kh. R., Demirbilek U. On an Inverse Scattering Problem for a Discontinuous Sturm–Liouville Equation. Modern Problems of Mathematics and Physics. Sterlitamak, 2021. P. 283–287.", "collections/ru_sterlitamak_mathphys_2021_vol1.pdf#p283"),
        ("Mamedov Kh. R. On a discontinuous Sturm–Liouville problem with eigenparameter in the boundary condition. Math. Methods Appl. Sci. 2021. Vol. 44. P. 100–112.", None),
        ("TIKHONOVA I. O., KRAMER D. ZAGRYAZNENIE DONNYKH OTLOZHENII MALYKH REK V MEGAPOLISE. Ekologicheskie problemy promyshlennykh gorodov. Saratov, 2011. P. 312–315 (in Russ.).", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p312"),
        ("Qūnanbaev A. Qara sözder. Almaty: Jazuşy, 2005. 120 b.", "pdf/kk_abai_qara_sozder.pdf"),
        ("Qūnanbaev A. Öleñder men poemalar. Almaty, 2005. 240 b.", None),
        ("Baitursynuly A. Qalam qairatkerleri jaiynan. Eñbekşı qazaq. 1922. No. 29.", "pdf/kk_baitursyn_kalam_1922.pdf"),
        ("Baitursynuly A. Qalam qairatkerleri. Almaty, 1991. 200 b.", None),
        ("Krushel E. G., Stepanchenko I. V. Informatsionnaya sistema ekologicheskogo monitoringa atmosfernogo vozdukha nebol'shogo goroda. Saratov, 2011. P. 88–91 (in Russ.).", "collections/ru_sgtu_ecology_cities_2011_part1.pdf#p88"),
        ("Krushel E. G. Informatsionnaya sistema monitoringa vozdukha krupnogo goroda. Volgograd, 2013. 150 p. (in Russ.).", None),
    ]),
]


def _citing_pages(heading: str, entries: list[tuple[str, str | None]]) -> list[str]:
    """Two pages: a short article body, the heading and the numbered list broken over the page end,
    a running header on both pages and page numbers at the foot."""
    body = ("Статья рассматривает публикации, вошедшие в архив, и их цитирование в региональных журналах. "
            "Особое внимание уделено библиографическим описаниям по ГОСТ 7.0.5 и их латинским вариантам.")
    lines = [f"{i}. {text}" for i, (text, _) in enumerate(entries, start=1)]
    half = (len(lines) + 1) // 2
    return [f"{H}\nУДК 001.8\nИванов И. И.\nЦИТИРОВАНИЕ РАБОТ АРХИВА\n{body}\n{heading}\n" + "\n".join(lines[:half]) + "\n17",
            f"{H}\n" + "\n".join(lines[half:]) + "\n18"]


def citing_links(tmp: Path, articles: list = CITING) -> list[tuple[str, object, str | None]]:
    """Render the articles to PDFs, read them back with extract_file and pair each parsed entry with its label."""
    sys.path.insert(0, str(REPO / "tests"))
    from support import make_pdf
    from uploads.pipeline import extract_file

    out = []
    for name, heading, entries in articles:
        pdf = make_pdf(tmp / f"{name}.pdf", _citing_pages(heading, entries))
        pages = [p.text for p in extract_file(pdf, allow_ocr=False).pages]
        parsed = {e.number: e for lst in find_reference_lists(pages) for e in lst.entries}
        for i, (text, want) in enumerate(entries, start=1):
            ref = parsed.get(i) or parse_entry("")          # an entry the splitter lost cannot be linked
            out.append((f"{name}#{i}", ref, want))
    return out


# --------------------------------------------------------------------------- speed

_TIMER = """
import json, sys, time
import uploads.pipeline  # the uploader's child has it already (forkserver preload): time what references add
w0, c0 = time.perf_counter(), time.process_time()
from uploads.references import find_reference_lists
w1, c1 = time.perf_counter(), time.process_time()
spans = json.load(open(sys.argv[1]))
n = 0
for pages, title, next_title in spans:
    n += sum(len(l.entries) for l in find_reference_lists(pages, title, next_title))
w2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import": w1 - w0, "parse": w2 - w1, "import_cpu": c1 - c0, "parse_cpu": c2 - c1, "entries": n}))
"""


def timing(runs: int) -> dict:
    """Parser time (a fresh process each run, imports included: as in the uploader's child) over every
    article of VOLUME, against the volume's ingest with process_file; wall clock and CPU time (the
    machine is shared, so CPU time is the steadier figure)."""
    from uploads.pipeline import process_file

    doc = extracted(VOLUME)
    pages = [p.text for p in doc.pages]
    arts = doc.articles
    spans = []
    for k, a in enumerate(arts):
        nxt = arts[k + 1] if k + 1 < len(arts) else None
        spans.append((pages[a.first_page - 1: nxt.first_page if nxt else a.last_page], a.title,
                      nxt.title if nxt else ""))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spans, fh, ensure_ascii=False)
    parse_runs = []
    for _ in range(max(3, runs)):
        res = subprocess.run([sys.executable, "-c", _TIMER, fh.name], cwd=REPO, capture_output=True, text=True, check=True)
        parse_runs.append(json.loads(res.stdout))
    Path(fh.name).unlink()
    from uploads.pipeline import extract_file

    ingest, ingest_cpu = [], []
    for _ in range(runs):
        t = time.perf_counter()
        process_file(CORPUS / VOLUME)
        ingest.append(time.perf_counter() - t)
        # the child's work, timed in this process: a forkserver child's CPU time is not ours to read
        c = time.process_time()
        extract_file(CORPUS / VOLUME)
        ingest_cpu.append(time.process_time() - c)
    return {"articles": len(arts), "entries": parse_runs[0]["entries"],
            "parser_s": min(r["import"] + r["parse"] for r in parse_runs),
            "parser_cpu_s": min(r["import_cpu"] + r["parse_cpu"] for r in parse_runs),
            "import_cpu_s": min(r["import_cpu"] for r in parse_runs),
            "ingest_s": statistics.median(ingest), "ingest_cpu_s": statistics.median(ingest_cpu), "runs": runs}


# --------------------------------------------------------------------------- report


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def main() -> int:
    """Print boundary, field, link and speed figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-timing", action="store_true", help="skip the speed measurement")
    ap.add_argument("--ingest-runs", type=int, default=2, help="process_file runs of the volume (median)")
    ap.add_argument("--only", choices=("dev", "held-out"), help="score one group of labelled documents")
    ap.add_argument("--verbose", action="store_true", help="list link mistakes")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}")
        return 1

    res = score_documents(load_truth(args.only or ""))
    print(f"ENTRY BOUNDARIES  labelled {res['entries']}  predicted {res['predicted']}  matched {res['tp']}  "
          f"P {res['precision']:.3f}  R {res['recall']:.3f}  F1 {res['f1']:.3f}")
    print("FIELDS (all labelled entries; in brackets: entries whose boundaries were found)")
    print(f"  {'group':10s} {'n':>4s} " + " ".join(f"{f:>16s}" for f in FIELDS))
    for tag, g in res["groups"].items():
        cells = " ".join(f"{_pct(g[f][0])} ({_pct(g[f][1])})" for f in FIELDS)
        print(f"  {tag:10s} {g['entries']:4d} {cells}")

    index = WorkIndex(load_works())
    print(f"LINKS  threshold {LINK_THRESHOLD}  works {len(index.works)}")
    corpus = score_links(labelled_corpus_links(), index)
    with tempfile.TemporaryDirectory() as tmp:
        own = score_links(citing_links(Path(tmp)), index)
        held = score_links(citing_links(Path(tmp), CITING_HELD), index)
    n_corpus = sum(1 for _ in corpus["mistakes"])
    for label, r in (("corpus entries", corpus), ("citing articles", own), ("citing, held out", held)):
        print(f"  {label:16s} entries {r['entries']:5d}  links {r['tp'] + r['fp']:3d}  correct {r['tp']:3d}  wrong {r['fp']:2d}  missed {r['fn']:2d}  "
              f"precision {r['precision']:.3f}  recall {r['recall']:.3f}")
    tp = corpus["tp"] + own["tp"] + held["tp"]
    fp = corpus["fp"] + own["fp"] + held["fp"]
    fn = corpus["fn"] + own["fn"] + held["fn"]
    n = corpus["entries"] + own["entries"] + held["entries"]
    print(f"  {'together':16s} entries {n:5d}  links {tp + fp:3d}  correct {tp:3d}  wrong {fp:2d}  missed {fn:2d}  "
          f"precision {tp / (tp + fp) if tp + fp else 1:.3f}  recall {tp / (tp + fn) if tp + fn else 1:.3f}")
    if args.verbose or n_corpus:
        for line in corpus["mistakes"] + own["mistakes"] + held["mistakes"]:
            print(line)

    if not args.no_timing:
        t = timing(args.ingest_runs)
        print(f"SPEED  {VOLUME}: {t['articles']} articles, {t['entries']} entries")
        print(f"  parser, fresh process (import {t['import_cpu_s']:.3f} s CPU included): {t['parser_s']:.3f} s wall, "
              f"{t['parser_cpu_s']:.3f} s CPU (best of 3)")
        print(f"  ingest (median of {t['runs']}): process_file {t['ingest_s']:.2f} s wall; "
              f"its work (extract_file) {t['ingest_cpu_s']:.2f} s CPU")
        print(f"  -> the parser adds {100 * t['parser_s'] / t['ingest_s']:.1f} % (wall) / "
              f"{100 * t['parser_cpu_s'] / t['ingest_cpu_s']:.1f} % (CPU) to the volume's ingest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
