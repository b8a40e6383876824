"""Our RecurrentPPO policy's LSTM pass gives sb3-contrib's outputs, faster."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy

from policies.builders import policy_class
from policies.recurrent import SmartbotRecurrentPolicy, process_sequence


@settings(max_examples=40, deadline=None)
@given(
    n_seq=st.integers(1, 6),
    length=st.integers(1, 9),
    layers=st.integers(1, 2),
    mid_start=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_same_outputs_and_states_as_sb3_contrib(
    n_seq: int, length: int, layers: int, mid_start: bool, seed: int
) -> None:
    """Starts only at sequence beginnings (the buffer's training sequences: the one-call
    path) or anywhere (the step loop): the outputs and final states are sb3-contrib's."""
    g = torch.Generator().manual_seed(seed)
    lstm = torch.nn.LSTM(5, 4, num_layers=layers)
    features = torch.randn(n_seq * length, 5, generator=g)
    states = (
        torch.randn(layers, n_seq, 4, generator=g),
        torch.randn(layers, n_seq, 4, generator=g),
    )
    starts = torch.zeros(n_seq, length)
    starts[:, 0] = (torch.rand(n_seq, generator=g) < 0.5).float()
    if mid_start and length > 1:
        starts[0, length // 2 + length % 2] = 1.0
    starts = starts.flatten()
    with torch.no_grad():
        want = RecurrentActorCriticPolicy._process_sequence(features, states, starts, lstm)
        got = process_sequence(features, states, starts, lstm)
    torch.testing.assert_close(got[0], want[0])
    torch.testing.assert_close(got[1][0], want[1][0])
    torch.testing.assert_close(got[1][1], want[1][1])


def test_gradients_match_too() -> None:
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    features = torch.randn(4 * 6, 3)
    states = (torch.randn(1, 4, 4), torch.randn(1, 4, 4))
    starts = torch.zeros(4, 6)
    starts[1::2, 0] = 1.0
    grads = []
    for fn in (RecurrentActorCriticPolicy._process_sequence, process_sequence):
        lstm.zero_grad()
        fn(features, states, starts.flatten(), lstm)[0].square().sum().backward()
        grads.append([p.grad.clone() for p in lstm.parameters()])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b)


def test_recurrent_ppo_uses_it() -> None:
    assert policy_class("recurrent_ppo") is SmartbotRecurrentPolicy
