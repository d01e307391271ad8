"""A fault test's own 3-node NATS JetStream cluster (streams provisioned R3) and PostgreSQL, under a
new WUSHE_HOME, stopped by pid; the session's signing key and keyring are copied in, so the
`token` fixture's tokens are valid."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nats

from deploy.provision import provision
from deploy.servers import NatsCluster, free_port, loopback_urls, start_nats_cluster, start_postgres, stop_postgres
from kit.settings import Settings


@dataclass
class PrivateCluster:
    settings: Settings  # nats_url: every node, comma-joined
    cluster: NatsCluster

    @classmethod
    def start(cls, shared: Settings, size: int = 3) -> PrivateCluster:
        home = Path(tempfile.mkdtemp(prefix="wushe-cluster-", dir="/tmp"))
        shutil.copytree(shared.path("keys"), home / "keys")
        settings = Settings(
            home=home,
            http_port=shared.http_port,
            nats_url=loopback_urls(size),
            pg_port=free_port(),
            nats_cluster_size=size,
        )
        cluster = start_nats_cluster(settings, size)
        private = cls(settings.model_copy(update={"nats_url": cluster.url}), cluster)
        try:
            start_postgres(private.settings)
            asyncio.run(provision(private.settings, log=lambda *_: None))
        except BaseException:
            private.close()
            raise
        return private

    async def connect(self) -> nats.NATS:
        """A client of the test's own that follows the cluster through node losses."""
        return await nats.connect(self.settings.nats_url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.5)

    def close(self) -> None:
        self.cluster.stop()
        stop_postgres(self.settings)
        shutil.rmtree(self.settings.home, ignore_errors=True)
