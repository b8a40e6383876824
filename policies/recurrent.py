"""RecurrentPPO's Dict-observation policy with a faster LSTM pass over training sequences.

sb3-contrib's :class:`RecurrentMultiInputActorCriticPolicy` runs the LSTM over a whole
sequence in one call only when no episode starts anywhere in it; otherwise it steps the
LSTM one time step at a time in Python, resetting the states where an episode starts.
Its rollout buffer cuts training sequences at episode starts, so a start can only be the
first step of a sequence, yet every sequence that begins an episode took the slow path.
:class:`SmartbotRecurrentPolicy` resets the initial states of those sequences first and
then makes the single call, which gives the same outputs (the states are reset before
the first step either way); sequences with a start after their first step still go
through the step-by-step loop.
"""

from __future__ import annotations

import torch
from sb3_contrib.common.recurrent.policies import RecurrentMultiInputActorCriticPolicy
from torch import nn

__all__ = ["SmartbotRecurrentPolicy", "process_sequence"]


def process_sequence(
    features: torch.Tensor,
    lstm_states: tuple[torch.Tensor, torch.Tensor],
    episode_starts: torch.Tensor,
    lstm: nn.LSTM,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """The LSTM over ``n_seq`` padded sequences, as sb3-contrib's ``_process_sequence``.

    Args:
        features: (n_seq * length, features_dim), sequence after sequence.
        lstm_states: hidden and cell states, each (n_layers, n_seq, hidden).
        episode_starts: (n_seq * length,) 1.0 where an episode starts (states reset first).
    Returns:
        The outputs (n_seq * length, hidden) and the final states.
    """
    n_seq = lstm_states[0].shape[1]
    seq = features.reshape((n_seq, -1, lstm.input_size)).swapaxes(0, 1)  # (length, n_seq, F)
    starts = episode_starts.reshape((n_seq, -1)).swapaxes(0, 1)  # (length, n_seq)
    if not torch.any(starts[1:] != 0.0):
        keep = (1.0 - starts[0]).view(1, n_seq, 1)
        out, states = lstm(seq, (keep * lstm_states[0], keep * lstm_states[1]))
        return torch.flatten(out.transpose(0, 1), start_dim=0, end_dim=1), states
    outputs = []
    states = lstm_states
    for x, start in zip(seq, starts, strict=True):
        keep = (1.0 - start).view(1, n_seq, 1)
        hidden, states = lstm(x.unsqueeze(0), (keep * states[0], keep * states[1]))
        outputs.append(hidden)
    return torch.flatten(torch.cat(outputs).transpose(0, 1), start_dim=0, end_dim=1), states


class SmartbotRecurrentPolicy(RecurrentMultiInputActorCriticPolicy):
    """:class:`RecurrentMultiInputActorCriticPolicy` with :func:`process_sequence`."""

    @staticmethod
    def _process_sequence(  # type: ignore[override]
        features: torch.Tensor,
        lstm_states: tuple[torch.Tensor, torch.Tensor],
        episode_starts: torch.Tensor,
        lstm: nn.LSTM,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        return process_sequence(features, lstm_states, episode_starts, lstm)
