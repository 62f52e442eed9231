"""The review map and its error AUROC in words (fcad_book.sentences.review)."""

from __future__ import annotations

import numpy as np

from fcad_book.sentences.review import by_side_sentence, review_summary
from fcad_lib.predict.review import ErrorsBySide


def test_review_summary_states_shares_and_auroc():
    review = np.array([[0, 0, 1, 2], [3, 255, 0, 0]], "uint8")
    text = review_summary(review, 0.734, passes=20)
    assert "over 20 mc passes" in text
    assert "non-landslide 57.1%, landslide 14.3%, potential miss 14.3%, " \
           "potential false alarm 14.3%" in text
    assert "AUROC of 0.73 (better than chance" in text
    assert "AUROC of 0.50 (no better than chance" in review_summary(review, 0.5, passes=20)
    assert "over 8 tta passes" in review_summary(review, 0.5, passes=8, method="tta")
    assert "could not be computed" in review_summary(review, float("nan"), passes=20)


def test_by_side_sentence_says_when_both_sides_are_chance():
    chance = by_side_sentence(ErrorsBySide(0.47, 0.52, 0.99))
    assert "99% of the wrong pixels are false alarms" in chance and "Both are chance" in chance
    assert "within 0.05 of 0.5" in chance
    useful = by_side_sentence(ErrorsBySide(0.8, float("nan"), 1.0))
    assert "not computable" in useful and "chance" not in useful
    one_side = by_side_sentence(ErrorsBySide(float("nan"), 0.5, float("nan")))
    assert "That is chance" in one_side and "of the wrong pixels" not in one_side
