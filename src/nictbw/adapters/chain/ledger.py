"""The fake chain's NFTs in columns: a city-sized event mints about a million of them.

One object per NFT (with its transaction id, its dict entries by transaction id and by
holder) cost about 300 bytes each and scattered long-lived objects through the heap.
``Ledger`` keeps each field in one growing buffer instead: the 32-byte transaction ids
back to back, and for holder, kind and timestamps a 4-byte index into a table of the
distinct values (an event has few kinds and few distinct clock readings). NFTs are found
by transaction id through an open-addressing table of NFT ids. About 60 bytes per NFT.

NFT ids run from 1 in mint order; NFT ``n`` is row ``n - 1`` of every column.
"""

from __future__ import annotations

from array import array
from bisect import insort
from collections.abc import Hashable, Iterator
from datetime import datetime
from typing import Final, Generic, TypeVar

TXID_BYTES: Final = 32
_EMPTY: Final = 0
_FIRST_CAPACITY: Final = 1 << 10

V = TypeVar("V")


class _Interned(Generic[V]):
    """Distinct values, each stored once and named by its 4-byte position."""

    def __init__(self) -> None:
        self.values: list[V] = []
        self._positions: dict[Hashable, int] = {}

    def position(self, value: V, key: Hashable) -> int:
        """The position of ``value``, told apart from the others by ``key``."""
        found = self._positions.get(key)
        if found is None:
            found = len(self.values)
            self.values.append(value)
            self._positions[key] = found
        return found

    def find(self, key: Hashable) -> int | None:
        """The position of the value told apart by ``key``, None if never stored."""
        return self._positions.get(key)


class Ledger(Generic[V]):
    """Minted NFTs: transaction id, holder, kind, creation and last update, and the
    transaction id and location of the last transfer. ``V`` is the kind's type."""

    def __init__(self) -> None:
        self._txids = bytearray()
        self._holder = array("I")
        self._kind = array("I")
        self._created = array("I")
        self._updated = array("I")
        self._holders: _Interned[str | None] = _Interned()
        self._kinds: _Interned[V] = _Interned()
        self._times: _Interned[datetime] = _Interned()
        self._moved: dict[int, tuple[str, str]] = {}
        self._held: dict[int, array[int]] = {}
        self._slots = array("I", bytes(4 * _FIRST_CAPACITY))

    def __len__(self) -> int:
        return len(self._holder)

    # -- writing ----------------------------------------------------------------------

    def mint(self, txid: bytes, holder: str | None, kind: V, at: datetime) -> int:
        """Record a new NFT; its id (the number of NFTs so far)."""
        if len(txid) != TXID_BYTES:
            raise ValueError(f"a transaction id has {TXID_BYTES} bytes, got {len(txid)}")
        self._txids += txid
        holder_at = self._holders.position(holder, holder)
        self._holder.append(holder_at)
        self._kind.append(self._kinds.position(kind, id(kind)))
        time_at = self._times.position(at, (at, at.tzinfo))
        self._created.append(time_at)
        self._updated.append(time_at)
        nft_id = len(self._holder)
        self._held.setdefault(holder_at, array("I")).append(nft_id)
        if 2 * nft_id > len(self._slots):
            self._grow()
        else:
            self._place(nft_id)
        return nft_id

    def transfer(self, nft_id: int, to: str, txid: str, location: str, at: datetime) -> None:
        """Move NFT ``nft_id`` to holder ``to`` by transaction ``txid`` to ``location``."""
        row = nft_id - 1
        before = self._held[self._holder[row]]
        before.remove(nft_id)
        holder_at = self._holders.position(to, to)
        insort(self._held.setdefault(holder_at, array("I")), nft_id)
        self._holder[row] = holder_at
        self._updated[row] = self._times.position(at, (at, at.tzinfo))
        self._moved[nft_id] = (txid, location)

    # -- reading ----------------------------------------------------------------------

    def find(self, txid: bytes) -> int | None:
        """The id of the NFT minted by transaction ``txid``, or None."""
        if len(txid) != TXID_BYTES:
            return None
        mask = len(self._slots) - 1
        slot = int.from_bytes(txid[:8], "little") & mask
        while True:
            nft_id = self._slots[slot]
            if nft_id == _EMPTY:
                return None
            if self.txid(nft_id) == txid:
                return nft_id
            slot = (slot + 1) & mask

    def held_by(self, holder: str | None) -> Iterator[int]:
        """The ids of the NFTs ``holder`` holds, ascending."""
        at = self._holders.find(holder)
        return iter(self._held.get(at, ()) if at is not None else ())

    def txid(self, nft_id: int) -> bytes:
        """The transaction id of the NFT's mint."""
        start = (nft_id - 1) * TXID_BYTES
        return bytes(self._txids[start : start + TXID_BYTES])

    def holder(self, nft_id: int) -> str | None:
        """Who holds the NFT (None: the minting app)."""
        return self._holders.values[self._holder[nft_id - 1]]

    def kind(self, nft_id: int) -> V:
        """What the NFT shares with those minted alike."""
        return self._kinds.values[self._kind[nft_id - 1]]

    def created_at(self, nft_id: int) -> datetime:
        """When the NFT was minted."""
        return self._times.values[self._created[nft_id - 1]]

    def updated_at(self, nft_id: int) -> datetime:
        """When the NFT last changed."""
        return self._times.values[self._updated[nft_id - 1]]

    def moved(self, nft_id: int) -> tuple[str, str] | None:
        """Transaction id and location of the NFT's last transfer, None until one."""
        return self._moved.get(nft_id)

    # -- the index by transaction id --------------------------------------------------

    def _place(self, nft_id: int) -> None:
        mask = len(self._slots) - 1
        start = (nft_id - 1) * TXID_BYTES
        slot = int.from_bytes(self._txids[start : start + 8], "little") & mask
        while self._slots[slot] != _EMPTY:
            slot = (slot + 1) & mask
        self._slots[slot] = nft_id

    def _grow(self) -> None:
        self._slots = array("I", bytes(8 * len(self._slots)))
        for nft_id in range(1, len(self._holder) + 1):
            self._place(nft_id)


__all__ = ["TXID_BYTES", "Ledger"]
