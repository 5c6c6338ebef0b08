"""A few GRPO steps (TRL) on LIME prompts with the checker as the reward, on a tiny random model.

The model is a randomly initialised Llama of a few thousand parameters built from a config (nothing
is downloaded); its tokenizer is the package's word-level vocabulary (``lime_datasets.tokenizer``)
with the words of the prompts and the ``<answer>`` tags added, and a plain chat template. The data
are ``lime_datasets.llm.prompt_dataset`` (TRL's conversational format) and the reward
``lime_datasets.llm.reward_function``: 1.0 when the checker accepts the completion's answer. A
random model earns no reward; the point is the plumbing, which a real model plugs into unchanged.

    python examples/grpo_tiny.py                   # 4 steps on deduct
    python examples/grpo_tiny.py --config mixed --steps 10 --out /tmp/grpo

Needs ``trl`` and ``torch`` (``pip install 'lime-datasets[rl,torch]'``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterable
from typing import Any

from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from lime_datasets import CONFIGS
from lime_datasets.core.vocab import SPECIAL_TOKENS
from lime_datasets.llm import prompt_dataset, reward_function
from lime_datasets.tokenizer import tokenizer_dict

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }} : {{ message['content'] }} "
    "{% endfor %}{% if add_generation_prompt %}assistant : {% endif %}"
)


def tiny_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """The package vocabulary plus every whitespace-separated word of ``texts`` and the chat roles.

    Symbols keep their package ids (the added words come after them), so a source encodes to its
    ``source_ids`` as before.
    """
    document = tokenizer_dict(vocab_size)
    vocab = document["model"]["vocab"]
    words = {"user", "assistant", "<answer>", "</answer>"}
    for text in texts:
        words.update(text.split())
    for word in sorted(words - vocab.keys()):
        vocab[word] = len(vocab)
    pad, bos, eos, unk = SPECIAL_TOKENS
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(document)),
        pad_token=pad, bos_token=bos, eos_token=eos, unk_token=unk,
        padding_side="left", chat_template=CHAT_TEMPLATE,
    )


def tiny_model(tokenizer: PreTrainedTokenizerFast, hidden: int = 32,
               seed: int = 0) -> LlamaForCausalLM:
    """A randomly initialised one-layer Llama for ``tokenizer``'s vocabulary."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
        max_position_embeddings=4096, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    return LlamaForCausalLM(config)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="deduct", choices=sorted(CONFIGS))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--prompts", type=int, default=16, help="training prompts (train split)")
    parser.add_argument("--generations", type=int, default=2, help="completions per prompt")
    parser.add_argument("--completion-length", type=int, default=16)
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args(argv)

    from trl import GRPOConfig, GRPOTrainer

    dataset = prompt_dataset(args.config, "train", 0, args.prompts)
    tokenizer = tiny_tokenizer(
        (message["content"] for prompt in dataset["prompt"] for message in prompt),
        CONFIGS[args.config].vocab_size,
    )
    model = tiny_model(tokenizer)
    with tempfile.TemporaryDirectory() as scratch:
        training = GRPOConfig(
            output_dir=args.out or scratch, max_steps=args.steps, learning_rate=1e-3,
            per_device_train_batch_size=args.generations, num_generations=args.generations,
            max_completion_length=args.completion_length, logging_steps=1, save_strategy="no",
            report_to="none", use_cpu=True, seed=0, disable_tqdm=True,
        )
        trainer = GRPOTrainer(
            model=model, reward_funcs=reward_function(args.config), args=training,
            train_dataset=dataset, processing_class=tokenizer,
        )
        trainer.train()
    logged = [entry for entry in trainer.state.log_history if "reward" in entry]
    result = {"steps": trainer.state.global_step, "rewards": [e["reward"] for e in logged]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
