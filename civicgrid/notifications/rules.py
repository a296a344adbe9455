"""Named permissions over notifications: street admins manage the webhook endpoints that receive events."""

import rules

from civicgrid.core.predicates import is_street_admin

rules.add_perm("notifications.manage_webhooks", is_street_admin)
