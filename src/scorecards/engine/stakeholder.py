"""The stakeholder roll-up: role-weighted shares, capped so no one voice carries it."""

from collections.abc import Sequence


def capped_shares(weights: Sequence[float], max_share: float | None) -> list[float]:
    """Each weight's share of the total, capped at ``max_share`` by water-filling.

    A share above the cap is set to the cap and the excess is spread over the
    uncapped weights in proportion to them, until no share exceeds the cap. When
    every weight ends up capped the shares sum to less than 1; the caller decides
    where the rest goes.
    """
    total = sum(weights)
    shares = [weight / total for weight in weights]
    if max_share is None:
        return shares

    capped = [False] * len(weights)
    while True:
        over = [
            i for i, share in enumerate(shares) if not capped[i] and share > max_share
        ]
        if not over:
            return shares

        for i in over:
            capped[i] = True
            shares[i] = max_share

        free_weight = sum(w for i, w in enumerate(weights) if not capped[i])
        if free_weight <= 0:
            # Zero-weight voices cannot absorb the excess; the rest stays unassigned.
            for i in range(len(shares)):
                if not capped[i]:
                    shares[i] = 0.0
            return shares

        free_mass = 1.0 - max_share * sum(capped)
        for i, weight in enumerate(weights):
            if not capped[i]:
                shares[i] = free_mass * weight / free_weight


def stakeholder_raw(
    values: Sequence[float],
    weights: Sequence[float],
    *,
    max_share: float | None,
    prior: float | None,
) -> float | None:
    """The capped, weighted roll-up of one latest value per contact.

    None when no contact carries any weight, which makes the criterion missing.
    """
    if not values or sum(weights) <= 0:
        return None

    shares = capped_shares(weights, max_share)
    rolled = sum(share * value for share, value in zip(shares, values, strict=True))
    assigned = sum(shares)
    if assigned >= 1.0 - 1e-12:
        return rolled

    if prior is not None:
        return rolled + (1.0 - assigned) * prior
    return rolled / assigned
