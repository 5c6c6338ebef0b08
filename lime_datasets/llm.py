"""LIME for language models: prompts, answer extraction and a verifiable reward.

``question`` turns any example (a record with ``task`` and ``source``) into a natural-language
prompt that states the task, what the symbols mean and the answer format: the answer goes inside
``<answer>...</answer>`` as space-separated tokens, exactly as in ``target``. ``extract_answer``
takes the last such block of a completion; ``score`` is 1.0 when the checker accepts it (any valid
answer, not only the target) and 0.0 otherwise, and never raises on a completion's text.

Templates (``TEMPLATES``):

* ``detailed``: the notation in full, the task, the problem, the answer format;
* ``concise``: the same in a few sentences;
* ``think``: ``detailed``, asking for the reasoning inside ``<think>...</think>`` first.

``DEFAULT_TEMPLATES`` fixes the default template of each data version, so that the prompts of a
data version never change. ``prompt_dataset`` and ``reward_function`` serve TRL's trainers; they
import ``datasets`` only when called. Everything else needs only the core.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .api import check, generate
from .configs import get_config
from .core.tasks import TASKS
from .core.version import DATA_VERSION

if TYPE_CHECKING:
    import datasets

OPEN_TAG, CLOSE_TAG = "<answer>", "</answer>"
STYLES = ("plain", "chat")

_HEADER = (
    "Symbols are written as numbers. The problem starts with a header that says which symbol "
    "plays which role: after <UPPER> come the rule symbols (variables), after <LOWER> the string "
    "symbols, after <MATH> the math symbols. The mark <space> ends the header and separates the "
    "parts of the problem."
)
_FAMILY_NOTATION = {
    "substitution": (
        "A rule is a sequence of rule symbols and math symbols. A case gives every rule symbol of "
        "the header a value of 2 to 8 string or math symbols; it lists the rule symbols in header "
        "order, written like 7 : [ 12 40 ] , 9 : [ 3 3 51 ]. Applying a case to a rule replaces "
        "every occurrence of each rule symbol with its value; what comes out is the result."
    ),
    "rewrite": (
        "A rewrite rule is written left -> right. On its left side each rule symbol stands for one "
        "string symbol (different rule symbols for different string symbols) and math symbols "
        "stand for themselves. A rule applies to a string where its left side matches a run of "
        "consecutive symbols: the run is replaced by the right side, in which each rule symbol "
        "becomes the string symbol it matched."
    ),
}
_FAMILY_NOTATION["multistep"] = _FAMILY_NOTATION["rewrite"]
_USES_EVERY_RULE_SYMBOL = "The rule must use every rule symbol of the header at least once."
# What the problem gives and what the answer is, per task.
_TASK_TEXT = {
    "deduct": "The problem gives a rule, then a case. Apply the case to the rule and write the "
    "result.",
    "abduct": "The problem gives a rule, then a result. Write a case that turns the rule into the "
    "result.",
    "induct": "The problem gives a result, then a case. Write a rule that the case turns into the "
    f"result. {_USES_EVERY_RULE_SYMBOL}",
    "induct_v2": "The problem gives a result. Write a case, then <space>, then a rule, such that "
    f"the case turns the rule into the result. {_USES_EVERY_RULE_SYMBOL}",
    "induct_v3": "The problem gives two results, made from the same rule by two cases that are "
    "not shown. Write a rule that some case turns into the first result and some case turns into "
    f"the second. {_USES_EVERY_RULE_SYMBOL}",
    "induct_hard": "The problem gives a result. Write a rule that some case turns into the "
    f"result. {_USES_EVERY_RULE_SYMBOL}",
    "induct_v2_double": "The problem gives two results. Write a case, <space>, a second case, "
    "<space>, and a rule, such that the first case turns the rule into the first result and the "
    f"second case turns it into the second result. {_USES_EVERY_RULE_SYMBOL}",
    "rewrite": "The problem gives a rewrite rule, then a string. Apply the rule once to the "
    "string and write the new string.",
    "induct_rewrite": "The problem gives a string, then the same string after one rewrite. Write "
    "the rewrite rule: its left side is the rewritten run of the first string with each string "
    "symbol replaced by a rule symbol of the header, its right side math symbols and each of "
    "those rule symbols once.",
    "rewrite_multistep": "The problem gives several rewrite rules, then a string. Starting from "
    "the string, apply the rules in order, each once, and write the final string.",
    "rewrite_multistep_easy": "The problem gives several rewrite rules, then a string. Starting "
    "from the string, apply the rules in order, each once, and write the string after every "
    "step, in order, separated by <space>.",
}
_ANSWER_FORMAT = (
    "Write the final answer inside <answer> and </answer>: only the answer, as its symbols and "
    "marks (such as : [ ] , -> <space>) separated by single spaces."
)


@dataclasses.dataclass(frozen=True)
class Template:
    """How a prompt is put together from the task's words and the example's source."""

    description: str
    render: Callable[[str, str], str]  # (task, source) -> prompt text


def _detailed(task: str, source: str, before_answer: tuple[str, ...] = ()) -> str:
    return "\n\n".join([
        "Solve this symbolic reasoning problem.",
        f"{_HEADER} {_FAMILY_NOTATION[TASKS[task].family]}",
        _TASK_TEXT[task],
        f"Problem:\n{source}",
        *before_answer,
        _ANSWER_FORMAT,
    ])


def _concise(task: str, source: str) -> str:
    return (
        f"{_TASK_TEXT[task]} Header: <UPPER> rule symbols, <LOWER> string symbols, <MATH> math "
        f"symbols; <space> separates parts.\n{source}\n"
        "Answer inside <answer> </answer>, tokens separated by spaces."
    )


def _think(task: str, source: str) -> str:
    return _detailed(task, source, ("First think it through inside <think> and </think>.",))


TEMPLATES: Mapping[str, Template] = MappingProxyType({
    "detailed": Template("The notation in full, the task, the problem, the answer format.",
                         _detailed),
    "concise": Template("The task and the notation in a few sentences.", _concise),
    "think": Template("detailed, asking for reasoning inside <think>...</think> first.", _think),
})
# The default template of each data version: a data version's prompts never change.
DEFAULT_TEMPLATES: Mapping[str, str] = MappingProxyType({"1.0.0": "detailed"})
DEFAULT_TEMPLATE = DEFAULT_TEMPLATES[DATA_VERSION]


def question(
    example: Mapping[str, Any], style: str = "plain", template: str = DEFAULT_TEMPLATE
) -> str | list[dict[str, str]]:
    """The prompt for ``example`` (a record with ``task`` and ``source``).

    ``style="plain"`` gives the text; ``style="chat"`` gives it as one user message,
    ``[{"role": "user", "content": text}]`` (TRL's conversational format).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}; got {style!r}")
    if not isinstance(template, str) or template not in TEMPLATES:
        raise ValueError(f"template must be one of {', '.join(TEMPLATES)}; got {template!r}")
    task, source = _task_and_source(example)
    text = TEMPLATES[template].render(task, source)
    return text if style == "plain" else [{"role": "user", "content": text}]


def extract_answer(completion: str) -> str | None:
    """The content of the last ``<answer>...</answer>`` block, whitespace normalised.

    None when there is no such block, or when the last closing tag does not close an opening tag
    (a stray or nested ``</answer>``). Linear time in the length of the completion.
    """
    if not isinstance(completion, str):
        raise ValueError(f"completion must be a str; got {type(completion).__name__}")
    close = completion.rfind(CLOSE_TAG)
    if close < 0:
        return None
    opening = completion.rfind(OPEN_TAG, 0, close)
    if opening < 0 or completion.rfind(CLOSE_TAG, 0, close) > opening:
        return None
    return " ".join(completion[opening + len(OPEN_TAG) : close].split())


def score(example: Mapping[str, Any], completion: str) -> float:
    """1.0 if the completion's last ``<answer>`` block is a valid answer to ``example``, else 0.0.

    Valid means accepted by the checker (``lime_datasets.check``): any valid answer, not only the
    target. A missing block, an invalid answer or any other text gives 0.0, never an exception.
    """
    task, source = _task_and_source(example)
    answer = extract_answer(completion)
    return 1.0 if answer is not None and check(task, source, answer) else 0.0


def exact_match(example: Mapping[str, Any], completion: str) -> float:
    """1.0 if the completion's last ``<answer>`` block has the tokens of ``example["target"]``."""
    answer = extract_answer(completion)
    target = example.get("target") if isinstance(example, Mapping) else None
    if not isinstance(target, str):
        raise ValueError("example must be a mapping with a str 'target'")
    return 1.0 if answer is not None and answer.split() == target.split() else 0.0


def prompt_dataset(
    name: str,
    split: str = "train",
    start: int = 0,
    stop: int | None = None,
    *,
    template: str = DEFAULT_TEMPLATE,
    **parameters: Any,
) -> datasets.Dataset:
    """Rows ``start .. stop - 1`` of a split as a ``datasets.Dataset`` in TRL's prompt format.

    ``stop=None`` means the end of the split: give a ``stop`` for the train split, millions of
    rows by default, which would all be held in memory here.

    Columns: ``prompt`` (one user message, conversational format), and the record's ``id``,
    ``task``, ``source`` and ``target``, which TRL passes on to reward functions.
    ``parameters`` are registry parameters (``seed``, ``num_train``, ...). Needs ``datasets``.
    """
    if not isinstance(template, str) or template not in TEMPLATES:
        raise ValueError(f"template must be one of {', '.join(TEMPLATES)}; got {template!r}")
    import datasets

    rows = generate(name, split, start, stop, **parameters).select(["id", "task", "source",
                                                                     "target"])
    columns = rows.to_pydict()
    prompts = [
        question({"task": task, "source": source}, "chat", template)
        for task, source in zip(columns["task"], columns["source"], strict=True)
    ]
    return datasets.Dataset.from_dict({"prompt": prompts, **columns})


def reward_function(name: str, **parameters: Any) -> Callable[..., list[float]]:
    """A reward function with TRL's signature for datasets made by ``prompt_dataset(name, ...)``.

    Called as ``f(prompts, completions, task=[...], source=[...], **other_columns)``, it returns
    ``score`` of each completion (a string, or a list of messages whose last one is the answer).
    ``parameters`` are those given to ``prompt_dataset``; a row of a task outside the config is
    refused with ``ValueError``.
    """
    tasks = frozenset(get_config(name, **parameters).tasks)

    def reward(
        prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float]:
        missing = [column for column in ("task", "source") if column not in columns]
        if missing:
            raise ValueError(
                f"the reward of {name!r} needs the dataset columns task and source (as made by "
                f"lime_datasets.llm.prompt_dataset); missing: {', '.join(missing)}"
            )
        rewards = []
        for task, source, completion in zip(
            columns["task"], columns["source"], completions, strict=True
        ):
            if task not in tasks:
                raise ValueError(
                    f"a row of task {task!r} reached the reward of {name!r}, whose tasks are "
                    f"{', '.join(sorted(tasks))}"
                )
            rewards.append(score({"task": task, "source": source}, _completion_text(completion)))
        return rewards

    reward.__name__ = f"lime_{name}_valid_answer"
    reward.__qualname__ = reward.__name__
    return reward


def _completion_text(completion: Any) -> str:
    """The text of a completion: a string, or the content of the last of a list of messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        content = completion[-1].get("content")
        if isinstance(content, str):
            return content
    raise ValueError(
        "completion must be a str or a list of messages whose last one has a str 'content'; "
        f"got {type(completion).__name__}"
    )


def _task_and_source(example: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(example, Mapping):
        raise ValueError(f"example must be a mapping (a record); got {type(example).__name__}")
    task, source = example.get("task"), example.get("source")
    if not isinstance(task, str) or task not in _TASK_TEXT:
        raise ValueError(f"example['task'] must be one of {', '.join(_TASK_TEXT)}; got {task!r}")
    if not isinstance(source, str):
        raise ValueError(f"example['source'] must be a str; got {type(source).__name__}")
    return task, source
