"""The small JetStream KV buckets the shell keeps (seasons, leases, projection positions)."""

from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, NotFoundError
from nats.js.kv import KeyValue


async def bucket(js: JetStreamContext, name: str) -> KeyValue:
    """Open the bucket, creating it on first use: file storage, latest value only."""
    try:
        return await js.key_value(name)
    except (NotFoundError, APIError):
        return await js.create_key_value(
            api.KeyValueConfig(bucket=name, storage=api.StorageType.FILE, history=1)
        )
