"""Alphabetical order of Kazakh and Russian names (Kazakh letters in their places, Latin after)."""
import pytest

from archive.collation import ALPHABET, index_letters, initial, sort_key


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
