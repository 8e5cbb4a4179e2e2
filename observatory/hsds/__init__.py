"""Open Referral HSDS 3.1: `queries` read the public services, `documents` write HSDS objects.

Services are read through the `service_public` view only: fields a service lists in
`private_fields` are null and its point is the public one before any document is written.
"""

from observatory.hsds.documents import (
    HSDS_PROFILE_URI,
    HSDS_VERSION,
    SCHEDULE_ENUMS,
    SCHEDULE_TEXT,
    api_info,
    entity_number,
    entity_uuid,
    name_uuid,
    service_at_location_document,
    service_document,
)
from observatory.hsds.queries import (
    Proximity,
    ServiceFilter,
    get_service,
    iter_public_services,
    list_service_at_locations,
    list_services,
    taxonomy_terms,
)

__all__ = [
    "HSDS_PROFILE_URI",
    "HSDS_VERSION",
    "SCHEDULE_ENUMS",
    "SCHEDULE_TEXT",
    "Proximity",
    "ServiceFilter",
    "api_info",
    "entity_number",
    "entity_uuid",
    "get_service",
    "iter_public_services",
    "list_service_at_locations",
    "list_services",
    "name_uuid",
    "service_at_location_document",
    "service_document",
    "taxonomy_terms",
]
