"""Analysis of the tasks from their sources alone: counting and listing the valid answers."""

from .answers import AnswerCount, count_answers, valid_answers

__all__ = ["AnswerCount", "count_answers", "valid_answers"]
