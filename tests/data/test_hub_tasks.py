"""The hub's task table: XTREME's language lists, and the proxy distance from English that
orders real languages."""

from xstilts.data.hub import task_languages
from xstilts.data.hub_tasks import HUB_TASKS, LANGUAGES, proxy_distance


def test_xtreme_language_lists():
    sizes = {"xnli": 15, "pawsx": 7, "udpos": 33, "panx": 40, "xquad": 11, "mlqa": 7,
             "tydiqa": 9, "bucc": 4, "tatoeba": 36}
    assert {t: len(HUB_TASKS[t].languages) for t in sizes} == sizes
    assert set(HUB_TASKS["bucc"].languages) == {"de", "fr", "ru", "zh"}
    assert len(LANGUAGES) == 40 and all(
        lang in LANGUAGES for t in HUB_TASKS.values() for lang in t.languages)
    assert task_languages("tydiqa", ["en", "de", "ar", "te"]) == ["en", "ar", "te"]


def test_proxy_distance_orders_languages():
    assert proxy_distance("en") == 0.0
    assert proxy_distance("de") < proxy_distance("fr") < proxy_distance("ru")
    assert proxy_distance("zh") == 1.0 and proxy_distance("sw") == 0.75
