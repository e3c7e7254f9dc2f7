"""Where every registry task lives on the Hugging Face hub, as data: dataset ids, config
names, split mappings and language lists. ``xstilts.data.hub`` reads these tables; nothing
here downloads anything.

Sources checked for every id, config, split and field below (cited per entry):

[HF-XTREME]  huggingface/datasets ``datasets/xtreme/xtreme.py`` (the loading script the hub's
             ``google/xtreme`` parquet files were generated from: config names, split files,
             ``_generate_examples`` fields) and its dataset infos, mirrored in
             tensorflow/datasets ``docs/community_catalog/huggingface/xtreme.md`` (features,
             ClassLabel names and split sizes per config). The hub repo holds one parquet
             directory per config since the "Add <config> data files" commits of 2024-02-22.
[XTREME]     google-research/xtreme ``utils_preprocess.py`` (language lists; TyDiQA split by
             id prefix; XNLI trained on MNLI; "contradictory" -> "contradiction") and the
             XTREME paper, Hu et al. 2020, Table 5 (languages, families, scripts).
[JIANT]      nyu-mll/jiant ``jiant/scripts/benchmarks/xtreme/subscripts/`` (the X-STILTs
             code base: which phases exist per task and language; UD-POS kk/th/tl/yo are
             test-only; training sets and hyper-parameters).
[CARD:<id>]  the dataset card (README ``dataset_info``) of the named hub repo.
"""

from dataclasses import dataclass, field

XTREME = "google/xtreme"
GLUE = "nyu-mll/glue"
# Where the hub's dataset viewer keeps a parquet copy of a dataset that is still a loading
# script; `datasets` >= 4 no longer runs scripts, so such datasets are read from here.
PARQUET_EXPORT = "refs/convert/parquet"


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, the code XTREME uses everywhere but Tatoeba and UD-POS
    name: str  # English name: google/xtreme's ``udpos.<Language>`` configs and TyDiQA ids
    family: str  # family/genus [XTREME Table 5]
    script: str
    tatoeba: str | None = None  # ISO 639-3 code of the ``tatoeba.<iso3>`` config [XTREME]


# The 40 XTREME languages [XTREME Table 5]; Tatoeba codes from utils_preprocess.py's
# lang3_dict, UD-POS names from xtreme.py's _UD_POS_LANG.
LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("af", "Afrikaans", "Indo-European/Germanic", "Latin", "afr"),
    Language("ar", "Arabic", "Afro-Asiatic", "Arabic", "ara"),
    Language("bg", "Bulgarian", "Indo-European/Slavic", "Cyrillic", "bul"),
    Language("bn", "Bengali", "Indo-European/Indo-Aryan", "Bengali", "ben"),
    Language("de", "German", "Indo-European/Germanic", "Latin", "deu"),
    Language("el", "Greek", "Indo-European/Greek", "Greek", "ell"),
    Language("en", "English", "Indo-European/Germanic", "Latin"),
    Language("es", "Spanish", "Indo-European/Romance", "Latin", "spa"),
    Language("et", "Estonian", "Uralic", "Latin", "est"),
    Language("eu", "Basque", "Basque (isolate)", "Latin", "eus"),
    Language("fa", "Persian", "Indo-European/Iranian", "Arabic", "pes"),
    Language("fi", "Finnish", "Uralic", "Latin", "fin"),
    Language("fr", "French", "Indo-European/Romance", "Latin", "fra"),
    Language("he", "Hebrew", "Afro-Asiatic", "Hebrew", "heb"),
    Language("hi", "Hindi", "Indo-European/Indo-Aryan", "Devanagari", "hin"),
    Language("hu", "Hungarian", "Uralic", "Latin", "hun"),
    Language("id", "Indonesian", "Austronesian", "Latin", "ind"),
    Language("it", "Italian", "Indo-European/Romance", "Latin", "ita"),
    Language("ja", "Japanese", "Japonic", "Kanji/Kana", "jpn"),
    Language("jv", "Javanese", "Austronesian", "Latin", "jav"),
    Language("ka", "Georgian", "Kartvelian", "Georgian", "kat"),
    Language("kk", "Kazakh", "Turkic", "Cyrillic", "kaz"),
    Language("ko", "Korean", "Koreanic", "Hangul", "kor"),
    Language("ml", "Malayalam", "Dravidian", "Malayalam", "mal"),
    Language("mr", "Marathi", "Indo-European/Indo-Aryan", "Devanagari", "mar"),
    Language("ms", "Malay", "Austronesian", "Latin"),
    Language("my", "Burmese", "Sino-Tibetan", "Myanmar"),
    Language("nl", "Dutch", "Indo-European/Germanic", "Latin", "nld"),
    Language("pt", "Portuguese", "Indo-European/Romance", "Latin", "por"),
    Language("ru", "Russian", "Indo-European/Slavic", "Cyrillic", "rus"),
    Language("sw", "Swahili", "Niger-Congo", "Latin", "swh"),
    Language("ta", "Tamil", "Dravidian", "Tamil", "tam"),
    Language("te", "Telugu", "Dravidian", "Telugu", "tel"),
    Language("th", "Thai", "Kra-Dai", "Thai", "tha"),
    Language("tl", "Tagalog", "Austronesian", "Latin", "tgl"),
    Language("tr", "Turkish", "Turkic", "Latin", "tur"),
    Language("ur", "Urdu", "Indo-European/Indo-Aryan", "Arabic", "urd"),
    Language("vi", "Vietnamese", "Austro-Asiatic", "Latin", "vie"),
    Language("yo", "Yoruba", "Niger-Congo", "Latin"),
    Language("zh", "Chinese", "Sino-Tibetan", "Han", "cmn"),
)}


def proxy_distance(code: str) -> float:
    """A coarse stand-in for distance from English, for the report's plots only: 0 for
    English, 0.25 for the other Germanic languages, 0.5 for the rest of Indo-European, 0.75
    for other families, plus 0.25 for a non-Latin script (at most 1). It is a genealogy and
    script proxy, not a measured distance (lang2vec would be the principled choice; the
    study avoids that dependency)."""
    lang = LANGUAGES[code]
    if code == "en":
        return 0.0
    base = (0.25 if lang.family.endswith("Germanic")
            else 0.5 if lang.family.startswith("Indo-European") else 0.75)
    return min(1.0, base + (0.25 if lang.script != "Latin" else 0.0))


@dataclass(frozen=True)
class Part:
    """One hub split read into one of our files. ``config`` may hold ``{lang}`` (ISO 639-1),
    ``{name}`` (English name) or ``{iso3}`` (Tatoeba code). ``keep`` selects records of one
    language from a mixed split: ``"language"`` (XNLI's ``language`` field) or ``"id_prefix"``
    (TyDiQA ids ``<english name>-...``). ``convert`` names a record converter in
    ``xstilts.data.hub.CONVERTERS`` (``None``: the hub record is already our file record).
    ``plus`` marks the parts of the paper's "ANLI+" that go beyond ANLI itself."""

    dataset: str
    config: str | None
    split: str
    convert: str | None = None
    keep: str | None = None
    plus: bool = False


@dataclass(frozen=True)
class HubTask:
    name: str  # the registry task
    languages: tuple[str, ...]  # where the task exists (XTREME's list); ("en",) if English only
    splits: dict[str, tuple[Part, ...]]  # our split -> hub parts, concatenated in order
    # language -> our splits the hub does not have for it (left out of the file plan)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cite: str = ""


def _xtreme(config: str, *splits: str, **ours) -> dict[str, tuple[Part, ...]]:
    """google/xtreme splits under the same names, plus ``ours=hub_split`` renames."""
    out = {s: (Part(XTREME, config, s),) for s in splits}
    out.update({mine: (Part(XTREME, config, hub),) for mine, hub in ours.items()})
    return out


XNLI_LANGS = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur",
              "vi", "zh")
PAWSX_LANGS = ("de", "en", "es", "fr", "ja", "ko", "zh")
UDPOS_LANGS = ("af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he",
               "hi", "hu", "id", "it", "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te",
               "th", "tl", "tr", "ur", "vi", "yo", "zh")
PANX_LANGS = ("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr",
              "he", "hi", "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms",
              "my", "nl", "pt", "ru", "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")
XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
TYDIQA_LANGS = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
BUCC_LANGS = ("de", "fr", "ru", "zh")
TATOEBA_LANGS = tuple(code for code, lang in LANGUAGES.items() if lang.tatoeba)

_MNLI_TRAIN = Part(GLUE, "mnli", "train")

TARGETS = {t.name: t for t in (
    # XNLI: 15 languages, splits validation/test in one "XNLI" config with a ``language``
    # field, gold_label a string [HF-XTREME]. XTREME trains it on English MNLI [XTREME
    # xnli_preprocess, JIANT "XNLI uses MNLI for training"]; MNLI records are converted to
    # XNLI's fields.
    HubTask("xnli", XNLI_LANGS, {
        "train": (Part(GLUE, "mnli", "train", convert="mnli_as_xnli"),),
        "validation": (Part(XTREME, "XNLI", "validation", convert="xnli", keep="language"),),
        "test": (Part(XTREME, "XNLI", "test", convert="xnli", keep="language"),)},
        cite="HF-XTREME XNLI; XTREME utils_preprocess.xnli_preprocess"),
    # PAWS-X.<lang>: sentence1, sentence2, label ("0"/"1" strings); train/validation/test
    # [HF-XTREME]. English train only [XTREME pawsx_preprocess].
    HubTask("pawsx", PAWSX_LANGS, _xtreme("PAWS-X.{lang}", "train", "validation", "test"),
            cite="HF-XTREME PAWS-X.<lang>"),
    # udpos.<Language>: tokens, pos_tags (ClassLabel, the 17 UPOS tags in registry order);
    # Kazakh has train/test only, Tagalog/Thai/Yoruba test only [HF-XTREME
    # _split_generators, JIANT c_tokenize_and_cache.sh "kk th tl yo: --phases test"].
    HubTask("udpos", UDPOS_LANGS, _xtreme("udpos.{name}", "train", "validation", "test"),
            missing={"kk": ("validation",), "th": ("train", "validation"),
                     "tl": ("train", "validation"), "yo": ("train", "validation")},
            cite="HF-XTREME udpos.<Language>"),
    # PAN-X.<lang>: tokens, ner_tags (ClassLabel O B-PER I-PER B-ORG I-ORG B-LOC I-LOC), langs;
    # train/validation/test [HF-XTREME]. Once a manual download (AmazonPhotos.zip); the hub
    # serves it as parquet since 2024-02.
    HubTask("panx", PANX_LANGS, _xtreme("PAN-X.{lang}", "train", "validation", "test"),
            cite="HF-XTREME PAN-X.<lang>"),
    # XQuAD.<lang>: id, context, question, answers{answer_start, text}; validation only
    # [HF-XTREME]. No training data: trained on SQuAD v1.1 (registry train_from="squad").
    HubTask("xquad", XQUAD_LANGS, _xtreme("XQuAD.{lang}", "validation"),
            cite="HF-XTREME XQuAD.<lang>"),
    # MLQA.<context lang>.<question lang>: id, title, context, question, answers; validation
    # and test [HF-XTREME]. XTREME scores context and question in the same language
    # (MLQA.<l>.<l>) [JIANT "mlqa_${LG}_${LG}"]; trained on SQuAD v1.1.
    HubTask("mlqa", MLQA_LANGS, _xtreme("MLQA.{lang}.{lang}", "validation", "test"),
            cite="HF-XTREME MLQA.<l>.<l>"),
    # tydiqa (GoldP): id, title, context, question, answers; train/validation mixing the nine
    # languages, ids "<language name>-<n>" [HF-XTREME]. XTREME splits both by the id prefix
    # and trains on the English part only [XTREME tydiqa_preprocess].
    HubTask("tydiqa", TYDIQA_LANGS, {
        "train": (Part(XTREME, "tydiqa", "train", keep="id_prefix"),),
        "validation": (Part(XTREME, "tydiqa", "validation", keep="id_prefix"),)},
        cite="HF-XTREME tydiqa; XTREME utils_preprocess.tydiqa_preprocess"),
    # bucc18.<lang>: source_sentence (<lang>), target_sentence (English), source_lang and
    # target_lang (the BUCC sentence ids, a quirk of the script); validation = BUCC sample,
    # test = BUCC training gold [HF-XTREME]. The hub holds the gold pairs only, not the
    # mining pools' unpaired sentences, so every record here has both sides and mining runs
    # on gold pairs alone: easier than XTREME's BUCC (see xstilts.data.hub).
    HubTask("bucc", BUCC_LANGS, _xtreme("bucc18.{lang}", "validation", "test"),
            cite="HF-XTREME bucc18.<lang>"),
    # tatoeba.<iso3>: source_sentence (<lang>), target_sentence (English), source_lang,
    # target_lang ("eng"); one split, "validation", that XTREME scores as test [HF-XTREME].
    HubTask("tatoeba", TATOEBA_LANGS, {
        "test": (Part(XTREME, "tatoeba.{iso3}", "validation", convert="strip_pair"),)},
        cite="HF-XTREME tatoeba.<iso3>"),
)}

INTERMEDIATES = {t.name: t for t in (
    # GLUE MNLI: premise, hypothesis, label (entailment, neutral, contradiction), idx; splits
    # train, validation_matched, validation_mismatched, test_* (label -1) [CARD:nyu-mll/glue].
    HubTask("mnli", ("en",), {"train": (_MNLI_TRAIN,),
                              "validation": (Part(GLUE, "mnli", "validation_matched"),)},
            cite="CARD:nyu-mll/glue mnli"),
    # ANLI (config plain_text): uid, premise, hypothesis, label (entailment, neutral,
    # contradiction), reason; splits train_r1..r3, dev_r1..r3, test_r1..r3
    # [CARD:facebook/anli]. The paper's "ANLI+" adds SNLI (plain_text: premise, hypothesis,
    # label; -1 = no gold label) [CARD:stanfordnlp/snli] and MNLI to the three rounds.
    # Records without a gold label (-1) are dropped for every task (xstilts.data.hub).
    HubTask("anli", ("en",), {
        "train": (Part("facebook/anli", "plain_text", "train_r1"),
                  Part("facebook/anli", "plain_text", "train_r2"),
                  Part("facebook/anli", "plain_text", "train_r3"),
                  Part("stanfordnlp/snli", "plain_text", "train", plus=True),
                  Part(GLUE, "mnli", "train", plus=True)),
        "validation": (Part("facebook/anli", "plain_text", "dev_r1"),
                       Part("facebook/anli", "plain_text", "dev_r2"),
                       Part("facebook/anli", "plain_text", "dev_r3"))},
        cite="CARD:facebook/anli, CARD:stanfordnlp/snli, CARD:nyu-mll/glue"),
    # GLUE QQP: question1, question2, label (not_duplicate, duplicate), idx [glue.py].
    HubTask("qqp", ("en",), {"train": (Part(GLUE, "qqp", "train"),),
                             "validation": (Part(GLUE, "qqp", "validation"),)},
            cite="CARD:nyu-mll/glue qqp"),
    # GLUE SST-2: sentence, label (negative, positive), idx [CARD:nyu-mll/glue].
    HubTask("sst2", ("en",), {"train": (Part(GLUE, "sst2", "train"),),
                              "validation": (Part(GLUE, "sst2", "validation"),)},
            cite="CARD:nyu-mll/glue sst2"),
    # SQuAD v1.1 (plain_text): id, title, context, question, answers{text, answer_start};
    # train/validation [CARD:rajpurkar/squad]. Also the training set of XQuAD and MLQA.
    HubTask("squad", ("en",), {"train": (Part("rajpurkar/squad", "plain_text", "train"),),
                               "validation": (Part("rajpurkar/squad", "plain_text",
                                                   "validation"),)},
            cite="CARD:rajpurkar/squad"),
    # SQuAD v2.0 (squad_v2): same fields, answers empty when unanswerable
    # [CARD:rajpurkar/squad_v2].
    HubTask("squad_v2", ("en",), {"train": (Part("rajpurkar/squad_v2", "squad_v2", "train"),),
                                  "validation": (Part("rajpurkar/squad_v2", "squad_v2",
                                                      "validation"),)},
            cite="CARD:rajpurkar/squad_v2"),
    # HellaSwag: ind, activity_label, ctx_a, ctx_b, ctx, endings (4), source_id, split,
    # split_type, label ("0".."3"; "" in test) [CARD:Rowan/hellaswag]. A loading script on the
    # hub: read from its parquet export (PARQUET_EXPORT, config "default").
    HubTask("hellaswag", ("en",), {"train": (Part("Rowan/hellaswag", None, "train"),),
                                   "validation": (Part("Rowan/hellaswag", None,
                                                       "validation"),)},
            cite="CARD:Rowan/hellaswag"),
    # CosmosQA: id, context, question, answer0..answer3, label (int 0..3)
    # [CARD:allenai/cosmos_qa]. A loading script on the hub, like HellaSwag.
    HubTask("cosmosqa", ("en",), {"train": (Part("allenai/cosmos_qa", None, "train"),),
                                  "validation": (Part("allenai/cosmos_qa", None,
                                                      "validation"),)},
            cite="CARD:allenai/cosmos_qa"),
    # CommonsenseQA: id, question, question_concept, choices{label, text} (5), answerKey
    # ("A".."E"; "" in test) [CARD:tau/commonsense_qa, parquet since 2024-01].
    HubTask("csqa", ("en",), {"train": (Part("tau/commonsense_qa", None, "train"),),
                              "validation": (Part("tau/commonsense_qa", None,
                                                  "validation"),)},
            cite="CARD:tau/commonsense_qa"),
)}

HUB_TASKS: dict[str, HubTask] = {**INTERMEDIATES, **TARGETS}
