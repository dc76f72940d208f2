"""The sandbox payment agent `madoguchi up` runs in place of the outside one (see app.py)."""

from infra.payment_sandbox.app import SandboxAgent
from infra.payment_sandbox.cards import TEST_CARDS, check_card, luhn_valid

__all__ = ["TEST_CARDS", "SandboxAgent", "check_card", "luhn_valid"]
