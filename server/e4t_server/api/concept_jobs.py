"""Concept personalization jobs: the background work behind a CreateConcept or
RepersonalizeConcept operation.

The job runs as a task in the gateway and outlives the client's call. It streams progress from
the replica into the Operation row (each event is also the heartbeat), then stores the artifact
and commits the concept version (blob first, row second, in the registry) and finishes the
operation. Any failure — the replica dying included — finishes the operation FAILED; a creation
job also deletes the half-made concept (its blobs are erased; an upload cut short is left to the
sweeper), while a re-personalization job leaves the concept and its earlier versions as they
were.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ray.serve.handle import DeploymentResponseGenerator

from e4t_registry.errors import ConsentRequiredError, RegistryError
from e4t_registry.models import Operation
from e4t_registry.registry import Registry
from e4t_server.api.metrics import PERSONALIZATION
from e4t_server.api.operations import CREATE_CONCEPT
from e4t_server.serve.hosting import HostedVersion, ModelHosting

logger = logging.getLogger("e4t.jobs")
JOB_ACTOR = "system:personalization"


@dataclass(frozen=True)
class ConceptJob:
    tenant_id: uuid.UUID
    operation_id: uuid.UUID
    concept_id: uuid.UUID
    concept_resource: str
    domain_version_id: uuid.UUID
    model: HostedVersion
    image: bytes
    steps: int
    seed: int
    actor: str
    # REPERSONALIZE_CONCEPT: the concept already exists and is kept when the job fails.
    repersonalize: bool = False


class ConceptJobs:
    """Starts, tracks and cancels personalization jobs."""

    def __init__(self, registry: Registry, hosting: ModelHosting) -> None:
        self.registry = registry
        self.hosting = hosting
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._tenants: dict[uuid.UUID, uuid.UUID] = {}  # operation id → tenant id
        self.cancel_requested: set[uuid.UUID] = set()

    def start(self, job: ConceptJob) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job))
        self._tasks[job.operation_id] = task
        self._tenants[job.operation_id] = job.tenant_id
        task.add_done_callback(lambda _: self._forget(job.operation_id))

    def _forget(self, operation_id: uuid.UUID) -> None:
        self._tasks.pop(operation_id, None)
        self._tenants.pop(operation_id, None)

    def cancel(self, operation_id: uuid.UUID) -> bool:
        """Ask a running job to stop; False if this gateway runs no such job."""
        task = self._tasks.get(operation_id)
        if task is None:
            return False
        self.cancel_requested.add(operation_id)
        task.cancel()
        return True

    def cancel_tenant(self, tenant_id: uuid.UUID) -> int:
        """Stop every job of a tenant (it was deleted); returns how many were running."""
        running = [op for op, tenant in self._tenants.items() if tenant == tenant_id]
        return sum(self.cancel(operation_id) for operation_id in running)

    def discard_half_made(self, stale: Sequence[Operation]) -> int:
        """Delete the concepts that stale creations left without a version (their gateway died
        before the job could clean up); returns how many. Re-personalizations keep theirs."""
        discarded = 0
        for operation in stale:
            if operation.kind != CREATE_CONCEPT:
                continue
            concept_id = uuid.UUID(operation.target.rsplit("/", 1)[-1])
            try:
                concepts = self.registry.concepts
                discarded += concepts.discard_unfinished(
                    operation.tenant_id, concept_id, actor=JOB_ACTOR
                )
            except RegistryError:
                logger.warning("could not discard concept %s", concept_id)
        return discarded

    async def drain(self) -> None:
        """Cancel every running job (at shutdown); each ends CANCELLED."""
        for operation_id in list(self._tasks):
            self.cancel(operation_id)
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self, job: ConceptJob) -> None:
        operations = self.registry.operations
        started = time.perf_counter()
        try:
            await asyncio.to_thread(operations.start, job.tenant_id, job.operation_id)
            result = await self._personalize(job)
            version = await asyncio.to_thread(
                self.registry.concepts.add_version,
                job.tenant_id,
                job.concept_id,
                domain_model_version_id=job.domain_version_id,
                artifact=result["artifact"],
                tuning_params={
                    key: result[key] for key in ("steps", "seed", "class_word", "freeze_timestep")
                },
                metrics={"loss_curve": result["loss_curve"]},
                actor=job.actor,
            )
            await asyncio.to_thread(
                operations.finish,
                job.tenant_id,
                job.operation_id,
                result={"concept": job.concept_resource, "concept_version": version.version},
            )
            PERSONALIZATION.observe(time.perf_counter() - started)
        except asyncio.CancelledError:
            await self._abandon(job, None, cancelled=True)
        except RegistryError as error:
            reason = (
                "CONSENT_NOT_ACTIVE"
                if isinstance(error, ConsentRequiredError)
                else "CONCEPT_NOT_READY"
            )
            await self._abandon(job, {"reason": reason, "message": str(error)})
        except Exception:
            logger.exception("personalization failed", extra={"operation": str(job.operation_id)})
            await self._abandon(
                job, {"reason": "TUNING_FAILED", "message": "personalization failed"}
            )

    async def _personalize(self, job: ConceptJob) -> dict[str, Any]:
        async with self.hosting.using(job.model) as handle:
            stream: DeploymentResponseGenerator[dict[str, Any]] = handle.options(
                stream=True
            ).personalize.remote(job.image, job.steps, job.seed)  # type: ignore[assignment]
            async for event in stream:
                if "artifact" in event:
                    return dict(event)
                await asyncio.to_thread(
                    self.registry.operations.report_progress,
                    job.tenant_id,
                    job.operation_id,
                    done=min(int(event["step"]), job.steps),
                    total=job.steps,
                )
        raise RuntimeError("the replica ended the stream without an artifact")

    async def _abandon(
        self, job: ConceptJob, error: dict[str, str] | None, *, cancelled: bool = False
    ) -> None:
        """Finish the operation unsuccessfully; remove the concept a creation job was making."""
        if not job.repersonalize:
            try:
                await asyncio.to_thread(
                    self.registry.concepts.delete, job.tenant_id, job.concept_id, actor=JOB_ACTOR
                )
            except RegistryError:
                logger.warning("could not delete concept %s", job.concept_id)
        try:
            await asyncio.to_thread(
                self.registry.operations.finish,
                job.tenant_id,
                job.operation_id,
                error=error,
                cancelled=cancelled,
            )
        except RegistryError:
            logger.warning("operation %s already ended", job.operation_id)
