"""Reading a shop's data into tactful: catalog and event files, and the UCI Online Retail format.

The file formats are described in ``FORMATS.md`` beside this module.
"""

from agent.ingest.online_retail import OnlineRetailData, OnlineRetailReport, read_online_retail
from agent.ingest.readers import Parsed, read_catalog, read_events

__all__ = [
    "OnlineRetailData",
    "OnlineRetailReport",
    "Parsed",
    "read_catalog",
    "read_events",
    "read_online_retail",
]
