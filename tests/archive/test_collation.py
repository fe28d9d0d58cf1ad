"""Alphabetical order of Kazakh and Russian names (Kazakh letters in their places, Latin after)."""
import pytest

from archive.collation import ALPHABET, SORT_NAME_LENGTH, index_letters, initial, sort_key, sort_name


@pytest.mark.parametrize("before, after", [
    ("Абдрахманова Р.Т.", "Әбдіхалықұлы Н.С."),
    ("Әбдіхалықұлы Н.С.", "Байжанұлы Қ.Ж."),
    ("Гүлнар", "Ғабит"),
    ("Ғабит", "Дәулетова"),
    ("Елкин", "Ёлкин"),
    ("Ёлкин", "Жаксылыков"),
    ("Кузнецов", "Қасымов"),
    ("Қасымов", "Лиев"),
    ("Нұрланов", "Ңа"),
    ("Оспанов", "Өтебаев"),
    ("Уәлиханов", "Ұлықбек"),
    ("Ұлықбек", "Үмбетов"),
    ("Хасенов", "Һашим"),
    ("Һашим", "Цой"),
    ("Ыбыраев", "Ізбасар"),
    ("Ізбасар", "Эльдос"),
    ("Ли Виктор", "Лиев"),                # a word break sorts before a letter
    ("Ямбаев", "Abdrakhmanova R."),        # Latin after every Cyrillic name
    ("Abdrakhmanova R.", "Ivanov A.B."),
    ("Äbdıhalyqūly", "Baijanūly"),
])
def test_sort_key_orders_pairs(before, after):
    assert sort_key(before) < sort_key(after)


def test_sorted_list_follows_the_kazakh_alphabet():
    names = ["Smith J.", "Байжанұлы Қ.Ж.", "Ғабит", "Әбдіхалықұлы Н.С.", "Гүлнар", "Абдрахманова Р.Т.", "Ivanov A."]
    assert sorted(names, key=sort_key) == ["Абдрахманова Р.Т.", "Әбдіхалықұлы Н.С.", "Байжанұлы Қ.Ж.", "Гүлнар",
                                           "Ғабит", "Ivanov A.", "Smith J."]


@pytest.mark.parametrize("name, letter", [
    ("Әбдіхалықұлы Н.С.", "Ә"), ("ғабит", "Ғ"), ("Ёлкин", "Ё"), ("Іргебай", "І"), ("Һаким", "Һ"),
    ("Ivanov", "I"), ("Äbdıhalyqūly", "A"), ("«Қазақстан»", "Қ"), ("", "#"), ("123", "#"), ("東京", "#"),
])
def test_initial_of_a_name(name, letter):
    assert initial(name) == letter


def test_index_letters_are_the_alphabet_then_latin():
    letters = index_letters()
    assert "".join(letters[:42]) == ALPHABET and len(ALPHABET) == 42
    assert letters[42:] == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert letters.index("Ғ") == letters.index("Г") + 1


def test_sort_key_ignores_case_dots_and_extra_spaces():
    assert sort_key("иванов  а.б.")[:3] == sort_key("Иванов А Б")[:3]


NAMES = ["Абдрахманова Р.Т.", "Әбдіхалықұлы Н.С.", "Байжанұлы Қ.Ж.", "Гүлнар", "Ғабит", "Дәулетова", "Елкин",
         "Ёлкин", "Ли Виктор", "Лиев", "Ли", "Ли-Ким", "Ңа", "Ұлықбек", "Үмбетов", "Һашим", "Ізбасар", "Эльдос",
         "Abdrakhmanova R.", "Äbdıhalyqūly", "Abdıhalyq", "Ivanov A.B.", "Smith J.", "東京", "Ωμέγα", "123 Қасым",
         "3-я школа", "«Қазақстан»", "", "єва", "Ева", "Ї", "I", "Zz", "ZZ", "zz", "Ли Виктор Б", "Ли Виктор А",
         "O'Neil", "ONeil", "Ýlken", "Ylken", "𝔄lpha"]


def test_the_stored_sort_name_orders_as_the_sort_key():
    """The string the database orders people by gives the order of ``sort_key`` (but for the name itself, its
    last tiebreak: the database breaks those ties by row id)."""
    by_key = sorted(NAMES, key=lambda n: sort_key(n)[:3])
    by_string = sorted(NAMES, key=sort_name)
    assert [sort_key(n)[:3] for n in by_string] == [sort_key(n)[:3] for n in by_key]
    assert all(set(sort_name(n)) <= set("0123456789abcdef") for n in NAMES)
    assert max(len(sort_name(n)) for n in NAMES + ["Я" * 400]) <= SORT_NAME_LENGTH
