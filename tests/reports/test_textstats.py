from reports.textstats import content_lemmas, top_terms, typical_indices


def test_content_lemmas_drop_stop_words_and_numbers():
    assert content_lemmas("Посылка №12345 застряла у нас в Подольске 18-4") == ["посылка", "застрять", "подольск"]


def test_typical_prefers_the_common_theme_over_an_outlier():
    texts = [
        "Курьер опоздал на два часа, ждала весь вечер",
        "Курьер снова опоздал, ждала доставку весь вечер",
        "Опоздал курьер на три часа, весь вечер дома",
        "Погода отличная, купил новый велосипед и поехал на дачу к друзьям",
        "Курьер опоздал, ждали весь день дома",
    ]
    picked = typical_indices(texts, 3)
    assert len(picked) == 3 and 3 not in picked


def test_typical_skips_near_duplicates_and_never_repeats_a_text():
    texts = ["Курьер опоздал на два часа (#1)", "Курьер опоздал на два часа (#2)", "Курьер опоздал, ждала весь вечер",
             "Доставка опоздала на два дня, курьер не позвонил"]
    picked = typical_indices(texts, 3, min_words=1)
    assert len(picked) == 3 and not {0, 1} <= set(picked)
    assert typical_indices(["Спасибо курьеру!"] * 5, 3) == [0]
    assert typical_indices([], 3) == []


def test_top_terms_are_what_the_spike_adds_to_the_background():
    background = ["Курьер опоздал на два часа", "Доставка задержалась на день", "Курьер опоздал, ждала весь вечер"]
    spike = ["Посылка застряла на сортировочном центре в Подольске", "Сортировочный центр Подольск держит посылку",
             "Подольск: посылка на сортировочном центре", "Курьер опоздал"]
    terms = [w for w, _ in top_terms(spike, background, 4)]
    assert set(terms[:3]) <= {"подольск", "сортировочный", "центр", "посылка"} and "курьер" not in terms
    assert top_terms([], background) == []


def test_large_topics_are_sampled_and_indices_map_back():
    texts = ["Курьер опоздал на два часа, ждала весь вечер дома"] * 3000 + [
        "Пункт выдачи закрыт, табличка без объяснений и телефона"]
    picked = typical_indices(texts, 2, limit=100)
    assert picked[0] < 3000 and texts[picked[0]].startswith("Курьер") and picked[-1] == 3000
