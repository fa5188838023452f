from storyatlas.search.cache import GenerationCache


def test_answers_are_kept_until_the_generation_changes():
    cache, calls = GenerationCache(size=2), []

    def compute(value):
        return lambda: calls.append(value) or value

    assert cache.get("q", 1, compute("a")) == "a"
    assert cache.get("q", 1, compute("b")) == "a"  # remembered
    assert cache.get("q", 2, compute("c")) == "c"  # the archive changed
    cache.get("r", 2, compute("r"))
    cache.get("s", 2, compute("s"))  # only two fit: "q" is forgotten
    assert cache.get("q", 2, compute("d")) == "d"
    assert calls == ["a", "c", "r", "s", "d"]


def test_size_zero_remembers_nothing():
    cache = GenerationCache(size=0)
    assert cache.get("q", 1, lambda: 1) == 1 and cache.get("q", 1, lambda: 2) == 2


def test_the_answer_asked_for_most_lately_is_kept_longest():
    cache = GenerationCache(size=2)
    cache.get("flood", 1, lambda: "floods")
    cache.get("mine", 1, lambda: "mines")
    assert cache.peek("flood", 1) == "floods"  # asked again: now the newest
    cache.get("war", 1, lambda: "wars")  # only two fit: "mine" goes, not "flood"
    assert cache.peek("flood", 1) == "floods" and cache.peek("mine", 1) is None
    # an answer made again after the archive changed is the newest too
    cache.get("war", 2, lambda: "wars again")
    cache.get("dyke", 2, lambda: "dykes")  # "flood" goes, not "war"
    assert cache.peek("war", 2) == "wars again" and cache.peek("flood", 1) is None
