"""CPU work that runs in worker processes (importable by name, no I/O)."""

import hashlib

CPU_WORK_SEED = b"dfaas"


def chained_sha256(rounds: int) -> str:
    """Hash the seed `rounds` times, each round hashing the previous digest."""
    digest = CPU_WORK_SEED
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()
