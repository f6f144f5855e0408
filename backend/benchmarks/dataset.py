"""The seeded rows, made reproducibly from one seed, as text ready for COPY."""

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

# Seeded rows are dated in 2020; delete pools in 2019 (they sort last in newest-first lists);
# anything the API creates is dated now. So a restore keeps exactly the 2020 rows.
SEED_BASE = datetime(2020, 1, 1, tzinfo=UTC)
POOL_BASE = datetime(2019, 1, 1, tzinfo=UTC)
DESCRIPTION = "Seeded by the benchmark: a description of a typical length for a todo item."
COPY_COLUMNS = "id, user_id, title, description, is_completed, created_at, updated_at"
NO_TASK = "-"

Item = tuple[str, str]  # (user id, task id or NO_TASK)


@dataclass(frozen=True, slots=True)
class Cohort:
    """`users` users that own `tasks_each` tasks each."""

    prefix: str
    users: int
    tasks_each: int

    @property
    def user_ids(self) -> list[str]:
        return [f"{self.prefix}-{index:04d}" for index in range(self.users)]

    @property
    def rows(self) -> int:
        return self.users * self.tasks_each


MAIN = (Cohort("user", 100, 1000),)
PROBE = Cohort("probe", 10, 1000)
SMALL = (PROBE,)
SIZE_COHORTS = (Cohort("t10", 10, 10), Cohort("t100", 10, 100), Cohort("t10000", 2, 10_000))


def large(total_rows: int = 1_000_000) -> tuple[Cohort, ...]:
    """The probe users and the size cohorts, filled up to `total_rows` with 1000-task users."""
    fixed = (PROBE, *SIZE_COHORTS)
    fill_users, rest = divmod(total_rows - sum(cohort.rows for cohort in fixed), 1000)
    filler = (
        (Cohort("fill", fill_users, 1000), Cohort("rest", 1, rest))
        if rest
        else (Cohort("fill", fill_users, 1000),)
    )
    return (*fixed, *filler)


class RowMaker:
    """Makes COPY lines with deterministic ids; keeps a random sample of (user, task) pairs."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self.sample: list[Item] = []

    def lines(
        self, owners: Iterable[tuple[str, int]], base: datetime, sample_rate: float = 0.0
    ) -> Iterator[str]:
        stamps: list[str] = []
        for user_id, count in owners:
            while len(stamps) < count:
                stamps.append((base + timedelta(seconds=len(stamps))).isoformat())
            for index in range(count):
                task_id = str(uuid.UUID(int=self._random.getrandbits(128), version=4))
                if sample_rate and self._random.random() < sample_rate:
                    self.sample.append((user_id, task_id))
                description = "\\N" if index % 3 == 0 else DESCRIPTION
                done = "t" if index % 4 == 0 else "f"
                stamp = stamps[index]
                yield (
                    f"{task_id}\t{user_id}\tTask {index} of {user_id}\t{description}\t{done}\t"
                    f"{stamp}\t{stamp}\n"
                )


def owners_of(cohorts: Iterable[Cohort]) -> Iterator[tuple[str, int]]:
    for cohort in cohorts:
        for user_id in cohort.user_ids:
            yield user_id, cohort.tasks_each


def mint_tokens(secret: str, user_ids: Iterable[str], ttl_seconds: int) -> dict[str, str]:
    now = int(time.time())
    claims = {"iat": now, "exp": now + ttl_seconds}
    return {
        user_id: jwt.encode({"sub": user_id, **claims}, secret, algorithm="HS256")
        for user_id in user_ids
    }


def write_items(path: Path, items: Iterable[Item], tokens: dict[str, str]) -> Path:
    """One `user token task` line per item, the format workload.lua reads."""
    with path.open("w") as out:
        for user_id, task_id in items:
            out.write(f"{user_id} {tokens[user_id]} {task_id}\n")
    return path
