"""One router per resource; each route parses, calls a service and maps errors."""
