"""The chain port: the blockchain REST API as nictbw uses it (domain-rules.md §9)."""

from __future__ import annotations

from typing import Any, Protocol


class ChainPort(Protocol):
    """Sign-up, the user's NFT list and minting. Every failure is a ``ChainError``."""

    def signup_user(
        self,
        username: str,
        email: str,
        password: str,
        *,
        group: str | None = None,
        profile_pic_filepath: str | None = None,
    ) -> dict[str, Any]:
        """Create a chain account; returns the body as the chain sends it."""
        ...

    def get_user_nft_instances(self, on_chain_id: str) -> list[Any]:
        """The NFT payloads the chain user holds, as the chain sends them."""
        ...

    def mint_nft(
        self,
        *,
        app: str | None = None,
        name: str,
        additional_info: dict[str, Any],
        recipient_paymail: str | None = None,
        file_path: str | None = None,
    ) -> dict[str, Any]:
        """Mint an NFT; ``additional_info`` travels as JSON text. Returns the body."""
        ...
