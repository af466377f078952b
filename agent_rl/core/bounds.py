"""The ranges settings share, as annotated pydantic types, so a recipe, a stage config and a CLI option that
mean the same thing refuse the same bad values (at load time, naming the field), before any model is built. `agent_rl.core.cli_args.arg_type` checks a lone command-line option by one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, FiniteFloat

Count = Annotated[int, Field(ge=1)]  # iterations, steps, episodes, batch and group sizes
Port = Annotated[int, Field(ge=0, le=65535)]  # 0 picks a free one
Seed = Annotated[
    int, Field(ge=0, lt=2**32)
]  # numpy's legacy seeding takes no more, no negative seed anywhere
Probability = Annotated[FiniteFloat, Field(ge=0, le=1)]  # also discounts and GAE's lambda
TopP = Annotated[FiniteFloat, Field(gt=0, le=1)]  # nucleus sampling keeps nothing at 0
Temperature = Annotated[FiniteFloat, Field(ge=0)]  # 0 is greedy
LearningRate = Annotated[FiniteFloat, Field(gt=0)]
Positive = Annotated[FiniteFloat, Field(gt=0)]  # clip ranges, gradient norms, epochs as a fraction
Expectile = Annotated[FiniteFloat, Field(gt=0, lt=1)]  # IQL's τ: 0.5 is the mean, towards 1 the max
NonNegative = Annotated[FiniteFloat, Field(ge=0)]  # loss coefficients, warm-up
