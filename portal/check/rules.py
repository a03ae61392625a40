"""The rules of the pre-post checker, one function per category, and `check_text`, the one entry point.

Each rule appends hits `(code, (start, end), severity or None)` to a list; `check_text` groups the hits by code into
Flags (one flag per code, with every span where it applies and the highest severity seen). Words alone rarely
decide: most rules need two things close together (a draft word *and* a document word, an insult *and* someone it is
aimed at, a group name *and* a hostile word, a uniform *and* a personal setting), which is what keeps "draf lagu",
"nomor 2 di lomba 17-an" and "Selamat Hari Raya Nyepi bagi umat Hindu" quiet.
"""

import re

from portal.check import personal
from portal.check.lexicon import Document, compact, get_lexicon
from portal.check.model import RULES, SEVERITY_RANK, CheckResult, Flag

MAX_CHARS = 10_000  # a post is short (an Instagram caption takes 2,200 characters); longer input is cut here

_UPPER_MARKER = re.compile(
    r"(?<![A-Za-z])(SANGAT\s+RAHASIA|RAHASIA|TERBATAS|KONFIDENSIAL|CONFIDENTIAL|TOP\s+SECRET)(?![A-Za-z])")
_MARKER_NOT_BEFORE = re.compile(r"(kuota|tempat|stok|slot|waktu|promo|jumlah|kursi|persediaan|seat|edisi)\W*$", re.I)
_MARKER_NOT_AFTER = re.compile(
    r"^\W*(sukses|resep|dapur|awet|cantik|kaya|diet|umur|bahagia|ilahi|hidup|alam|kecantikan|di ?balik|langsing|"
    r"diskon|promo|sale|stok|kuota|tempat|hanya|sampai|s\.?d|untuk \d)",
    re.I)
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_URL = re.compile(
    r"(?<![\w@.])(?:https?://)?((?:[a-z0-9-]+\.)+(?:com|id|net|org|info|ly|gl|gd|me|at|cc|gy|io|co|xyz|site|online|"
    r"link|top|click|app|dev|tk|ml|ga|cf|gq|us|be|to|ws|ee|sh|do|st|biz|live|store|shop|tv|fm|ai))(?![\w-])(/\S*)?",
    re.I)
WEAK_HOAX_FAMILIES = ("hoax_alarm_cues", "hoax_rumour_cues", "hoax_proof_cues", "hoax_secret_cues", "hoax_viral_cues",
                      "hoax_urgency_cues", "hoax_link_cues")
_EXCLAIM = re.compile(r"!{2,}")


def check_text(text, terms=None):
    """Check a draft post. `terms` maps list names to lists of strings (see portal/check/defaults.py)."""
    text = "" if text is None else str(text)
    checked = text[:MAX_CHARS]
    doc = Document(checked, get_lexicon(terms))
    hits = []
    emails = personal.detect(doc, hits)
    _classification(doc, hits)
    _neutrality(doc, hits)
    _sara(doc, hits)
    _hoax(doc, hits, emails)
    _wealth(doc, hits)
    return CheckResult(text, _group(hits))


def _merge(spans):
    merged = []
    for a, b in sorted(spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _group(hits):
    spans, severity = {}, {}
    for code, span, sev in hits:
        sev = sev or RULES[code].severity
        spans.setdefault(code, set()).add(tuple(span))
        if code not in severity or SEVERITY_RANK[sev] > SEVERITY_RANK[severity[code]]:
            severity[code] = sev
    flags = [Flag(code, severity[code], _merge(spans[code])) for code in spans if _merge(spans[code])]
    flags.sort(key=lambda f: (-f.severity_rank, f.spans[0][0], f.code))
    return flags


def _add(hits, code, *matches, severity=None):
    for m in matches:
        hits.append((code, m.span, severity))


# -- classification and drafts ----------------------------------------------------------------------------------

def _classification(doc, hits):
    text = doc.text
    for m in _UPPER_MARKER.finditer(text):
        if _MARKER_NOT_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
            continue
        if _MARKER_NOT_AFTER.search(text[m.end():m.end() + 20]):
            continue
        hits.append(("secret_marker", m.span(), None))
    _add(hits, "secret_marker", *doc.find("secret_markers"))

    consultation = doc.has("public_consultation_cues")
    for draft in [] if consultation else doc.find("draft_words"):
        documents = doc.near(draft, "document_words", 3, after_only=True) or \
            doc.near(draft, "document_words", 0, before_only=True)
        if documents:
            _add(hits, "draft_marker", draft, *documents)

    documents = [] if consultation else doc.find("document_words")
    for cue in doc.find("unpublished_cues"):
        close = doc.close(cue, documents, 12)
        if close:
            _add(hits, "unpublished_decision", cue, *close)

    for leak in doc.find("leak_words"):
        subjects = doc.near(leak, "internal_subjects", 8, same_sentence=False)
        if subjects:
            _add(hits, "leak_marker", leak, *subjects)

    if not doc.has("debunk_words"):
        _add(hits, "internal_marker", *doc.find("internal_markers"))
        for word in doc.find("internal_words"):
            objects = doc.near(word, "internal_objects", 2)
            if objects:
                _add(hits, "internal_marker", word, *objects)

    shared = doc.find("share_cues")
    if shared:
        for cue in doc.find("waiting_cues"):
            close = doc.close(cue, documents, 12)
            if close:
                _add(hits, "unpublished_decision", cue, *close)

    leak_cues = doc.find("exam_leak_cues")
    exam_hits = []
    for word in doc.find("exam_words"):
        contexts = doc.near(word, "exam_contexts", 6, same_sentence=False)
        if contexts and ("kunci" in word.text or leak_cues):
            exam_hits += [word, *contexts]
    if exam_hits:
        _add(hits, "exam_leak", *exam_hits, *leak_cues)


# -- political neutrality ---------------------------------------------------------------------------------------

def _hashtags(doc):
    """[(span, compact body)] of the hashtags in the original text."""
    return [(m.span(), compact(m.group(1))) for m in _HASHTAG.finditer(doc.text)]


def _campaign_hashtag(lexicon, body):
    if not body or lexicon.hashtag_matches("neutral_hashtags", body):
        return False
    if lexicon.hashtag_matches("campaign_hashtags", body):
        return True
    if any(len(name) >= 5 and name in body for name in lexicon.compact["candidate_names"]):
        return True
    if any((len(party) >= 4 and party in body) or party == body for party in lexicon.compact["party_names"]):
        return True
    offices = lexicon.compact["office_titles"] + lexicon.compact["election_words"]
    verbs = ("pilih", "dukung", "ganti", "menang", "lanjut", "coblos")
    return any(v in body for v in verbs) and any(len(o) >= 5 and o in body for o in offices)


def _neutrality(doc, hits):
    lexicon = doc.lexicon
    campaign_tags = [(span, body) for span, body in _hashtags(doc) if _campaign_hashtag(lexicon, body)]
    for span, _body in campaign_tags:
        hits.append(("campaign_hashtag", span, None))

    poses = doc.find("finger_poses")
    _add(hits, "finger_pose", *poses)
    _add(hits, "campaign_group", *[m for m in doc.find("campaign_groups") if not doc.negated(m, 3)])
    for team in doc.regex(r"(?<![a-z0-9])(?:relawan|timses|tim sukses|tim pemenangan|simpatisan)(?![a-z])"):
        backed = [m for name in ("candidate_names", "party_names", "candidate_words", "election_words")
                  for m in doc.near(team, name, 4) if m.text not in ("relawan", "pak", "bu", "bapak", "ibu")]
        if backed and not doc.negated(team, 3):
            _add(hits, "campaign_group", team, *backed)

    candidates = doc.find("candidate_names")
    parties = doc.find("party_names")
    election = doc.find("election_words")
    context = bool(election or candidates or parties or poses or campaign_tags)
    support = [m for m in doc.find("support_cues") if not doc.negated(m)]

    ballots = []
    for m in doc.regex(r"(?<![a-z0-9])(?:nomor|no)\W{0,2}urut\W{0,2}0?\d{1,2}(?![0-9])"):
        if context:
            ballots.append(m)
    for m in doc.regex(r"(?<![a-z0-9])(?:paslon|capres|cawapres|caleg|cagub|cawagub|cabup|cawabup|cawalkot)"
                       r"\W{0,2}(?:(?:nomor|no)\W{0,2})?0?[1-9](?![0-9])"):
        ballots.append(m)
    for m in doc.regex(r"(?<![a-z0-9])(coblos|nyoblos|mencoblos|pilih|dukung|menangkan)\W{1,3}(?:yang\W{1,3})?"
                       r"(?:(?:nomor|no)\W{0,2}(?:urut\W{0,2})?)?0?[1-9](?![0-9])"):
        if "coblos" in m.text or context or _call_to_vote(doc, m):
            ballots.append(m)
    if context:
        for m in doc.regex(r"(?<![a-z0-9])0[1-9](?![0-9])"):
            if doc.near(m, "support_cues", 1):
                ballots.append(m)
        for m in doc.regex(r"(?<![a-z0-9])(?:nomor|no)\W{0,2}0?[1-9](?![0-9])"):
            if doc.near(m, "support_cues", 3):
                ballots.append(m)
        extra_poses = doc.regex(r"(?<![a-z0-9])(?:satu|dua|tiga|empat|[1-4])\W{0,2}jari(?![a-z])")
        _add(hits, "finger_pose", *extra_poses)
        poses = poses + extra_poses
    _add(hits, "ballot_number", *ballots)

    calls = []
    for m in doc.regex(r"(?<![a-z0-9])(?:coblos|nyoblos|mencoblos|pilih|pilihlah|dukung|menangkan|jadikan)(?![a-z])"):
        if not ("coblos" in m.text or "menangkan" in m.text or context) or doc.negated(m):
            continue
        named = doc.near(m, "candidate_words", 1, after_only=True) + doc.near(m, "candidate_names", 1, after_only=True)
        if named:
            calls.append(m)
            calls.extend(named)
    _add(hits, "campaign_call", *calls)

    backing = bool(support or ballots or poses or campaign_tags or calls)
    for m in candidates:
        titled = doc.near(m, "office_titles", 0, before_only=True)
        close_support = [s for s in doc.close(m, support, MAX_CHARS) if s.sentence == m.sentence]
        if titled and not (close_support or ballots or poses or campaign_tags or calls):
            continue
        _add(hits, "candidate_name", m, severity="tinggi" if backing else ("sedang" if election else "rendah"))
    for m in parties:
        _add(hits, "party_name", m, severity="tinggi" if backing else None)
    if election or candidates or parties:
        for m in doc.find("party_names_ambiguous"):
            _add(hits, "party_name", m, severity="tinggi" if backing else None)


_CALL = re.compile(r"(?:jangan lupa|ayo|yuk|mari|ajak)\W+(?:\w+\W+)?$")
_NOT_A_VOTE = re.compile(r"lomba|kontes|kompetisi|festival|kuis|soal|menu|ukuran|warna|opsi|pilihan ganda|jawaban|"
                         r"paket|kamar|kursi|antrean|antrian|loket")


def _call_to_vote(doc, match):
    """ "Jangan lupa, pilih yang nomor 2 ya!" without other election words: a call to vote, unless it is a contest."""
    before = doc.ntext[max(0, match.nstart - 25):match.nstart]
    sentence = [m for m in doc.regex(r"[^.!?\n]+") if m.nstart <= match.nstart < m.nend]
    return bool(_CALL.search(before)) and not any(_NOT_A_VOTE.search(m.text) for m in sentence)


# -- SARA, hate speech, insults ---------------------------------------------------------------------------------

def _names(doc):
    """Capitalised words inside a sentence (not its first word): most likely names of people or places."""
    if "names" in doc.extra:
        return doc.extra["names"]
    found = doc.extra["names"] = []
    previous_sentence = None
    for a, b in doc.tokens:
        sentence = doc.sentence_of(a)
        first = sentence != previous_sentence
        previous_sentence = sentence
        start = doc.norm.starts[a]
        word = doc.text[start:doc.norm.ends[b - 1]]
        if first or len(word) < 3 or not word.isalpha():
            continue
        if word[0].isupper() and word[1:].islower():
            found.append(doc.match_at(a, b))
    return found


def _targets(doc):
    found = doc.find("person_targets") + doc.find("institution_targets") + doc.regex(r"@[a-z0-9_]+") + _names(doc)
    return sorted(found, key=lambda m: m.t0)


def _sara(doc, hits):
    _add(hits, "hate_term", *doc.find("hate_terms"))

    for group in doc.find("group_terms"):
        hostile = [h for h in doc.near(group, "hostile_terms", 6) if not doc.negated(h)]
        before = doc.ntext[max(0, group.nstart - 8):group.nstart]
        if re.search(r"(?<![a-z])dasar\W+$", before):
            hostile = hostile + [doc.match_at(group.nstart - len(before) + before.rindex("dasar"),
                                              group.nstart - len(before) + before.rindex("dasar") + 5)]
        if hostile:
            _add(hits, "group_hostility", group, *hostile)

    targets = _targets(doc)
    persons = sorted(doc.find("person_targets") + doc.regex(r"@[a-z0-9_]+") + _names(doc), key=lambda m: m.t0)
    for word in doc.find("insult_terms"):
        aimed = [t for t in doc.close(word, targets, 10) if t.sentence == word.sentence]
        if not aimed or _self_aimed(doc, word, aimed):
            continue
        _add(hits, "insult", word, *aimed)
    for word in doc.find("animal_insults"):
        aimed = [t for t in doc.close(word, targets, 1) if t.sentence == word.sentence]
        called = re.search(r"(?<![a-z])dasar\W+$", doc.ntext[max(0, word.nstart - 8):word.nstart])
        if (aimed and not _self_aimed(doc, word, aimed)) or called:
            _add(hits, "insult", word, *aimed)
    _add(hits, "threat", *[m for m in doc.find("threat_phrases") if not doc.negated(m)])
    for word in doc.find("accusation_terms"):
        if doc.negated(word):
            continue
        aimed = [t for t in doc.close(word, persons, 10) if t.sentence == word.sentence]
        if aimed and not _self_aimed(doc, word, aimed):
            _add(hits, "accusation", word, *aimed)


def _self_aimed(doc, word, aimed):
    """ "aku goblok bgt": a first-person word right before the insult and no other target as close."""
    own = doc.near(word, "self_words", 1, before_only=True)
    if not own:
        return False
    if any(t.t1 == own[0].t0 for t in aimed):
        return False  # "bos gue tolol": the boss, not the writer
    return all(doc.gap(t, word) > doc.gap(own[0], word) for t in aimed)


# -- hoax signals -----------------------------------------------------------------------------------------------

def _urls(doc, emails):
    """[(span, host)] of the web addresses in the post (not the domains of e-mail addresses)."""
    return [(m.span(), m.group(1).lower()) for m in _URL.finditer(doc.text)
            if not any(a <= m.start() < b for a, b in emails)]


def _hoax(doc, hits, emails):
    lexicon = doc.lexicon
    strong, weak = [], []

    for m in doc.find("chain_phrases"):
        if not doc.negated(m):
            strong.append(("chain_message", m.span))
    for m in doc.regex(r"(?<![a-z0-9])(?:kirim|bagikan|share|sebar|teruskan|forward)\w*\W+(?:ke\W+)?\d+\W+"
                       r"(?:grup|orang|kontak|teman|group)"):
        strong.append(("chain_message", m.span))

    urls = _urls(doc, emails)
    official = lexicon.raw.get("official_domains", ())
    shorteners = lexicon.raw.get("url_shorteners", ())
    unofficial = []
    for span, host in urls:
        if any(host == d or host.endswith("." + d) for d in official):
            continue
        unofficial.append(span)
        if host in shorteners or host.removeprefix("www.") in shorteners:
            weak.append(("shortlink", span, "shortlink"))

    _add_scam(doc, strong, unofficial)

    debunk = doc.has("debunk_words")
    if not debunk:
        for family in WEAK_HOAX_FAMILIES:
            for m in doc.find(family):
                if not doc.negated(m):
                    weak.append(("unverified_claim", m.span, family))
        shout = _shouting(doc.text)
        if shout:
            weak.extend(("caps", span, "caps") for span in shout)

    distinct_weak = {key for _code, _span, key in weak}
    if strong or len(distinct_weak) >= 2:
        for code, span in strong:
            hits.append((code, span, None))
        for code, span, _key in weak:
            hits.append((code, span, None))


def _add_scam(doc, strong, unofficial):
    for m in doc.find("scam_phrases"):
        strong.append(("money_offer", m.span))
    money = doc.find("money_terms")
    if not money:
        return
    offers = doc.find("offer_cues")
    link_word = doc.regex(r"(?<![a-z])(?:link|tautan|lnk)(?:nya)?(?![a-z])")
    action = [o for o in offers if o.text.startswith(("klik", "klaim"))]
    # Urgency only counts when the post does not send people to an official site only.
    urgency = doc.find("urgency_cues") if (unofficial or not _urls_in(doc)) else []
    if offers and (unofficial or link_word or action or urgency):
        strong.extend(("money_offer", u.span) for u in urgency)
        for m in money:
            strong.append(("money_offer", m.span))
        for o in offers:
            strong.append(("money_offer", o.span))


def _urls_in(doc):
    return bool(_URL.search(doc.text))


def _shouting(text):
    """Spans of shouting (capital letters, !!!) when there is enough of it to be a signal, else []."""
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    exclaims = text.count("!")
    runs = []
    for m in re.finditer(r"\b[A-Z]{2,}(?:\W+[A-Z]{2,})+\b|\b[A-Z]{4,}\b", text):
        runs.append(m)
    long_run = any(len(re.findall(r"[A-Z]", m.group())) >= 10 and len(m.group().split()) >= 3 for m in runs)
    mostly_caps = len(letters) >= 12 and upper / len(letters) >= 0.6
    if not (mostly_caps or long_run or exclaims >= 3):
        return []
    spans = [m.span() for m in runs if len(re.findall(r"[A-Z]", m.group())) >= 4]
    spans += [m.span() for m in _EXCLAIM.finditer(text)]
    return spans or [m.span() for m in re.finditer("!", text)] or [(0, len(text))]


# -- wealth and official attributes -----------------------------------------------------------------------------

def _wealth(doc, hits):
    luxury = [m for m in doc.find("luxury_brands") + doc.find("wealth_phrases") if not doc.negated(m, 3)]
    for price in doc.regex(r"(?<![a-z0-9])(\d+(?:[.,]\d+)?)\W{0,2}(juta|jt|miliar|milyar|m)(?![a-z])"):
        number = re.match(r"[\d.,]+", price.text).group()
        try:
            amount = float(number.replace(",", "."))
        except ValueError:  # 1.500.000
            amount = float(re.sub(r"\D", "", number))
        if "j" in price.text and amount < 10:
            continue
        items = doc.near(price, "luxury_items", 4)
        if items and not doc.negated(items[0], 3):
            luxury += [price, *items]
    _add(hits, "wealth_display", *luxury)
    forbidding = doc.prohibited_sentences()
    uniforms = [m for m in doc.find("uniform_terms") if m.sentence not in forbidding and not doc.negated(m, 3)]
    if not uniforms:
        return
    settings = [m for m in doc.find("personal_contexts") if m.sentence not in forbidding]
    settings += luxury + doc.find("election_words") + doc.find("candidate_names")
    if settings:
        _add(hits, "uniform", *uniforms, *settings)
