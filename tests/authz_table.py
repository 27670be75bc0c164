"""THE authorization matrix: every route × method × actor → the HTTP status expected.

``tests/test_authz_matrix.py`` walks ``app.url_map`` and fails when a (rule, method) pair is not
in ``ROUTES``, then requests each row as each actor and compares the status codes.

One row per route and method:

    (method, rule as in app.url_map, path requested, (anonymous, admin, leader, promoter,
     manager of the building, manager of another building), optional form data for a POST)

``path`` may use the placeholders of the test world (``tests/test_authz_matrix.py``):
{code} building A's code — the "manager of the building" keeps A, the other manager keeps B;
{unit} a vacant unit of A, {let_unit} a let unit of A, {lease} the lease on it, {company} its
tenant, {period} a month A has not confirmed (2026-10). A route that needs objects of its own
adds a builder to ``WORLD_BUILDERS`` returning more placeholders.

Reading the statuses: 302 for anonymous pages is the redirect to /login, 401 for the JSON API;
403 is a signed-in user without the right; a POST that an allowed user sends with empty data
answers 200 (the form again, with its messages) or 302 (done, back to a page).
Requests run in the order anonymous, leader, promoter, other manager, manager, admin, so a
write by an allowed actor never changes what a refused one sees.
"""

ACTORS = ("anonymous", "admin", "leader", "promoter", "manager", "other_manager")

ROUTES = [
    # sign-in, static files
    ("GET", "/login", "/login", (200, 302, 302, 302, 302, 302)),
    ("POST", "/login", "/login", (200, 302, 302, 302, 302, 302)),
    ("POST", "/logout", "/logout", (302, 302, 302, 302, 302, 302)),
    ("GET", "/static/<path:filename>", "/static/css/app.css", (200, 200, 200, 200, 200, 200)),
    # dashboard, buildings, companies
    ("GET", "/", "/", (302, 200, 200, 200, 200, 200)),
    ("GET", "/buildings", "/buildings", (302, 200, 200, 200, 200, 200)),
    ("GET", "/buildings/<code>", "/buildings/{code}", (302, 200, 200, 200, 200, 403)),
    ("GET", "/companies", "/companies", (302, 200, 200, 200, 200, 200)),
    ("GET", "/companies/<int:company_id>", "/companies/{company}", (302, 200, 200, 200, 200, 403)),
    # JSON API
    ("GET", "/api/v1/summary", "/api/v1/summary", (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/buildings", "/api/v1/buildings", (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/buildings/<code>", "/api/v1/buildings/{code}", (401, 200, 200, 200, 200, 403)),
    # building managers: units, move-ins, move-outs, renewals
    ("GET", "/buildings/<code>/units", "/buildings/{code}/units", (302, 200, 200, 200, 200, 403)),
    ("GET", "/buildings/<code>/walk", "/buildings/{code}/walk", (302, 200, 403, 403, 200, 403)),
    ("GET", "/buildings/<code>/units/new", "/buildings/{code}/units/new", (302, 200, 403, 403, 200, 403)),
    ("POST", "/buildings/<code>/units/new", "/buildings/{code}/units/new", (302, 200, 403, 403, 200, 403)),
    ("GET", "/buildings/<code>/units/<int:unit_id>", "/buildings/{code}/units/{unit}", (302, 200, 403, 403, 200, 403)),
    ("POST", "/buildings/<code>/units/<int:unit_id>", "/buildings/{code}/units/{unit}", (302, 200, 403, 403, 200, 403)),
    (
        "POST",
        "/buildings/<code>/units/<int:unit_id>/self-use",
        "/buildings/{code}/units/{unit}/self-use",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "GET",
        "/buildings/<code>/units/<int:unit_id>/split",
        "/buildings/{code}/units/{unit}/split",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/buildings/<code>/units/<int:unit_id>/split",
        "/buildings/{code}/units/{unit}/split",
        (302, 200, 403, 403, 200, 403),
    ),
    ("GET", "/buildings/<code>/units/merge", "/buildings/{code}/units/merge", (302, 200, 403, 403, 200, 403)),
    ("POST", "/buildings/<code>/units/merge", "/buildings/{code}/units/merge", (302, 200, 403, 403, 200, 403)),
    (
        "GET",
        "/buildings/<code>/units/<int:unit_id>/retire",
        "/buildings/{code}/units/{unit}/retire",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/buildings/<code>/units/<int:unit_id>/retire",
        "/buildings/{code}/units/{unit}/retire",
        (302, 200, 403, 403, 200, 403),
        {"on": ""},
    ),
    ("GET", "/buildings/<code>/move-in", "/buildings/{code}/move-in", (302, 200, 403, 403, 200, 403)),
    ("GET", "/buildings/<code>/move-in/units", "/buildings/{code}/move-in/units", (302, 200, 403, 403, 200, 403)),
    ("POST", "/buildings/<code>/move-in", "/buildings/{code}/move-in", (302, 200, 403, 403, 200, 403)),
    (
        "GET",
        "/buildings/<code>/leases/<int:lease_id>/move-out",
        "/buildings/{code}/leases/{lease}/move-out",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/buildings/<code>/leases/<int:lease_id>/move-out",
        "/buildings/{code}/leases/{lease}/move-out",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "GET",
        "/buildings/<code>/leases/<int:lease_id>/renew",
        "/buildings/{code}/leases/{lease}/renew",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/buildings/<code>/leases/<int:lease_id>/renew",
        "/buildings/{code}/leases/{lease}/renew",
        (302, 200, 403, 403, 200, 403),
        {"version": "0"},
    ),
    (
        "GET",
        "/buildings/<code>/leases/<int:lease_id>/open-ended",
        "/buildings/{code}/leases/{lease}/open-ended",
        (302, 200, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/buildings/<code>/leases/<int:lease_id>/open-ended",
        "/buildings/{code}/leases/{lease}/open-ended",
        (302, 200, 403, 403, 200, 403),
        {"version": "0"},
    ),
    # lease expiries
    ("GET", "/buildings/<code>/expiries", "/buildings/{code}/expiries", (302, 200, 200, 200, 200, 403)),
    ("GET", "/expiries", "/expiries", (302, 200, 200, 200, 200, 200)),
    # monthly confirmation
    ("GET", "/confirmations", "/confirmations", (302, 200, 403, 403, 200, 200)),
    ("POST", "/confirmations/<code>/<period>", "/confirmations/{code}/{period}", (302, 302, 403, 403, 302, 403)),
    (
        "POST",
        "/confirmations/<code>/<period>/correct",
        "/confirmations/{code}/{period}/correct",
        (302, 302, 403, 403, 302, 403),
    ),
    ("GET", "/confirmations/status", "/confirmations/status", (302, 200, 200, 403, 403, 403)),
    # change history
    ("GET", "/buildings/<code>/history", "/buildings/{code}/history", (302, 200, 200, 200, 200, 403)),
    ("GET", "/units/<int:unit_id>/history", "/units/{unit}/history", (302, 200, 200, 200, 200, 403)),
    ("GET", "/companies/<int:company_id>/history", "/companies/{company}/history", (302, 200, 200, 200, 200, 403)),
    ("GET", "/leases/<int:lease_id>/history", "/leases/{lease}/history", (302, 200, 200, 200, 200, 403)),
    # tax pages, reports and settings: the candidate list is leadership material
    ("GET", "/buildings/<code>/tax", "/buildings/{code}/tax", (302, 200, 200, 200, 200, 403)),
    ("GET", "/tax", "/tax", (302, 200, 200, 200, 403, 403)),
    ("GET", "/reports", "/reports", (302, 200, 200, 403, 403, 403)),
    ("GET", "/reports/candidates.pdf", "/reports/candidates.pdf?year=2026", (302, 200, 200, 403, 403, 403)),
    ("GET", "/api/v1/reports/candidates", "/api/v1/reports/candidates?year=2026", (401, 200, 200, 403, 403, 403)),
    ("GET", "/admin/settings", "/admin/settings", (302, 200, 403, 403, 403, 403)),
    ("POST", "/admin/settings", "/admin/settings", (302, 200, 403, 403, 403, 403)),
    # reminders: one's own notifications (someone else's is not found) and channels;
    # the jobs page, failed deliveries and group robots are the admin's
    ("GET", "/notifications", "/notifications", (302, 200, 200, 200, 200, 200)),
    (
        "POST",
        "/notifications/<int:notification_id>/read",
        "/notifications/{notification}/read",
        (302, 302, 404, 404, 404, 404),
    ),
    ("POST", "/notifications/read-all", "/notifications/read-all", (302, 302, 302, 302, 302, 302)),
    ("GET", "/account/notifications", "/account/notifications", (302, 200, 200, 200, 200, 200)),
    ("POST", "/account/notifications", "/account/notifications", (302, 302, 302, 302, 302, 302)),
    ("GET", "/admin/jobs", "/admin/jobs", (302, 200, 403, 403, 403, 403)),
    ("POST", "/admin/jobs/webhooks", "/admin/jobs/webhooks", (302, 302, 403, 403, 403, 403)),
    (
        "POST",
        "/admin/jobs/deliveries/<int:delivery_id>/retry",
        "/admin/jobs/deliveries/{delivery}/retry",
        (302, 302, 403, 403, 403, 403),
    ),
    # one's own account, API tokens, the admin's user management, the OpenAPI document
    ("GET", "/account/password", "/account/password", (302, 200, 200, 200, 200, 200)),
    ("POST", "/account/password", "/account/password", (302, 200, 200, 200, 200, 200)),
    ("GET", "/account/tokens", "/account/tokens", (302, 200, 200, 200, 200, 200)),
    ("POST", "/account/tokens", "/account/tokens", (302, 200, 200, 200, 200, 200)),
    # someone else's token: refused with a message, nothing revoked
    ("POST", "/account/tokens/<int:token_id>/revoke", "/account/tokens/{token}/revoke", (302, 302, 302, 302, 302, 302)),
    ("GET", "/admin/users", "/admin/users", (302, 200, 403, 403, 403, 403)),
    ("POST", "/admin/users", "/admin/users", (302, 200, 403, 403, 403, 403)),
    ("GET", "/admin/users/<int:user_id>", "/admin/users/{staff}", (302, 200, 403, 403, 403, 403)),
    ("POST", "/admin/users/<int:user_id>/buildings", "/admin/users/{staff}/buildings", (302, 302, 403, 403, 403, 403)),
    ("POST", "/admin/users/<int:user_id>/email", "/admin/users/{staff}/email", (302, 302, 403, 403, 403, 403)),
    ("POST", "/admin/users/<int:user_id>/reset", "/admin/users/{staff}/reset", (302, 302, 403, 403, 403, 403)),
    ("POST", "/admin/users/<int:user_id>/active", "/admin/users/{staff}/active", (302, 302, 403, 403, 403, 403)),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", (200, 200, 200, 200, 200, 200)),
    # the investment-attraction pipeline: promoters work their own leads ({lead} is the
    # promoter's), everyone but managers reads them; managers see move-in requests of their buildings
    ("GET", "/leads", "/leads", (302, 200, 200, 200, 403, 403)),
    ("GET", "/leads/board", "/leads/board", (302, 200, 200, 200, 403, 403)),
    ("GET", "/leads/new", "/leads/new", (302, 200, 403, 200, 403, 403)),
    ("POST", "/leads/new", "/leads/new", (302, 200, 403, 200, 403, 403)),
    ("GET", "/leads/<int:lead_id>", "/leads/{lead}", (302, 200, 200, 200, 403, 403)),
    ("GET", "/leads/<int:lead_id>/edit", "/leads/{lead}/edit", (302, 200, 403, 200, 403, 403)),
    ("POST", "/leads/<int:lead_id>/edit", "/leads/{lead}/edit", (302, 200, 403, 200, 403, 403)),
    ("POST", "/leads/<int:lead_id>/stage", "/leads/{lead}/stage", (302, 302, 403, 302, 403, 403)),
    ("POST", "/leads/<int:lead_id>/followups", "/leads/{lead}/followups", (302, 200, 403, 200, 403, 403)),
    ("GET", "/leads/<int:lead_id>/matches", "/leads/{lead}/matches", (302, 200, 200, 200, 403, 403)),
    ("POST", "/leads/<int:lead_id>/reserve", "/leads/{lead}/reserve", (302, 302, 403, 302, 403, 403)),
    ("GET", "/leads/<int:lead_id>/land", "/leads/{lead}/land", (302, 200, 403, 200, 403, 403)),
    ("POST", "/leads/<int:lead_id>/land", "/leads/{lead}/land", (302, 200, 403, 200, 403, 403)),
    ("POST", "/leads/<int:lead_id>/owner", "/leads/{lead}/owner", (302, 302, 403, 403, 403, 403)),
    ("POST", "/leads/<int:lead_id>/merge", "/leads/{lead}/merge", (302, 302, 403, 403, 403, 403)),
    # building profiles (楼宇画像), the booklet, the district stacking plans, space proposals
    ("GET", "/buildings/<code>/profile", "/buildings/{code}/profile", (302, 200, 200, 200, 200, 403)),
    ("POST", "/buildings/<code>/profile", "/buildings/{code}/profile", (302, 302, 403, 403, 302, 403)),
    ("POST", "/buildings/<code>/profile/photos", "/buildings/{code}/profile/photos", (302, 302, 403, 403, 302, 403)),
    (
        "POST",
        "/buildings/<code>/profile/photos/<action>",
        "/buildings/{code}/profile/photos/cover",
        (302, 302, 403, 403, 302, 403),
    ),
    (
        "GET",
        "/buildings/<code>/photos/<sha256>.jpg",
        "/buildings/{code}/photos/{photo_hash}.jpg",
        (302, 200, 200, 200, 200, 403),
    ),
    (
        "GET",
        "/buildings/<code>/profile/internal.pdf",
        "/buildings/{code}/profile/internal.pdf",
        (302, 200, 200, 200, 403, 403),
    ),
    (
        "GET",
        "/buildings/<code>/profile/external.pdf",
        "/buildings/{code}/profile/external.pdf",
        (302, 200, 200, 200, 200, 403),
    ),
    ("GET", "/reports/booklet.pdf", "/reports/booklet.pdf", (302, 200, 200, 200, 403, 403)),
    ("GET", "/stacking", "/stacking", (302, 200, 200, 200, 200, 200)),
    ("POST", "/leads/<int:lead_id>/proposals", "/leads/{lead}/proposals", (302, 302, 403, 302, 403, 403)),
    (
        "GET",
        "/leads/<int:lead_id>/proposals/<int:proposal_id>.pdf",
        "/leads/{lead}/proposals/{proposal}.pdf",
        (302, 200, 200, 200, 403, 403),
    ),
    ("GET", "/followups", "/followups", (302, 200, 200, 200, 403, 403)),
    ("GET", "/movein-requests", "/movein-requests", (302, 200, 200, 403, 200, 200)),
    # the building's manager confirms (302); the admin, asked next, finds it decided (302, a message)
    (
        "POST",
        "/movein-requests/<int:request_id>/confirm",
        "/movein-requests/{movein}/confirm",
        (302, 302, 403, 403, 302, 403),
    ),
    (
        "POST",
        "/movein-requests/<int:request_id>/reject",
        "/movein-requests/{movein}/reject",
        (302, 302, 403, 403, 302, 403),
    ),
    # the monthly briefing: leadership reads and downloads the archive; an admin generates
    # (an empty month answers the form again with its message)
    ("GET", "/reports/briefings", "/reports/briefings", (302, 200, 200, 403, 403, 403)),
    ("POST", "/reports/briefings", "/reports/briefings", (302, 200, 403, 403, 403, 403), {"month": ""}),
    ("GET", "/reports/briefings/latest", "/reports/briefings/latest", (302, 200, 200, 403, 403, 403)),
    (
        "GET",
        "/reports/briefings/<int:briefing_id>/download",
        "/reports/briefings/{briefing}/download",
        (302, 200, 200, 403, 403, 403),
    ),
    # imports and exports: the page is for whoever may import some kind (not leaders);
    # a batch is its uploader's and the admins'; an empty upload is the form again with its message
    ("GET", "/imports", "/imports", (302, 200, 403, 200, 200, 200)),
    ("POST", "/imports", "/imports", (302, 400, 403, 400, 400, 400)),
    ("GET", "/imports/<int:batch_id>", "/imports/{batch}", (302, 200, 403, 403, 403, 403)),
    ("GET", "/imports/<int:batch_id>/file", "/imports/{batch}/file", (302, 200, 403, 403, 403, 403)),
    ("POST", "/imports/<int:batch_id>/confirm", "/imports/{batch}/confirm", (302, 302, 403, 403, 403, 403)),
    ("POST", "/imports/<int:batch_id>/reject", "/imports/{batch}/reject", (302, 302, 403, 403, 403, 403)),
    ("GET", "/imports/templates/<kind_name>.xlsx", "/imports/templates/units.xlsx", (302, 200, 403, 404, 200, 200)),
    ("GET", "/exports/<kind_name>", "/exports/companies", (302, 200, 200, 200, 200, 200)),
    # the integration API: the pages' rules in JSON — 401 for anonymous; a POST as form
    # data is no JSON body (400); the building's manager confirms (200), the admin then finds it
    # decided (409); a reject needs its reason (400)
    ("GET", "/api/v1/buildings/<code>/units", "/api/v1/buildings/{code}/units", (401, 200, 200, 200, 200, 403)),
    ("GET", "/api/v1/buildings/<code>/tax", "/api/v1/buildings/{code}/tax", (401, 200, 200, 200, 200, 403)),
    ("GET", "/api/v1/companies", "/api/v1/companies", (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/companies/<int:company_id>", "/api/v1/companies/{company}", (401, 200, 200, 200, 200, 403)),
    ("GET", "/api/v1/leases", "/api/v1/leases?building={code}", (401, 200, 200, 200, 200, 403)),
    ("GET", "/api/v1/tax/buildings", "/api/v1/tax/buildings", (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/tax/district", "/api/v1/tax/district", (401, 200, 200, 200, 403, 403)),
    ("GET", "/api/v1/leads", "/api/v1/leads", (401, 200, 200, 200, 403, 403)),
    ("GET", "/api/v1/leads/<int:lead_id>", "/api/v1/leads/{lead}", (401, 200, 200, 200, 403, 403)),
    ("GET", "/api/v1/leads/<int:lead_id>/followups", "/api/v1/leads/{lead}/followups", (401, 200, 200, 200, 403, 403)),
    ("POST", "/api/v1/leads/<int:lead_id>/followups", "/api/v1/leads/{lead}/followups", (401, 400, 403, 400, 403, 403)),
    ("POST", "/api/v1/leads/<int:lead_id>/stage", "/api/v1/leads/{lead}/stage", (401, 400, 403, 400, 403, 403)),
    (
        "POST",
        "/api/v1/leads/<int:lead_id>/movein-requests",
        "/api/v1/leads/{lead}/movein-requests",
        (401, 400, 403, 400, 403, 403),
    ),
    ("GET", "/api/v1/followups", "/api/v1/followups", (401, 200, 200, 200, 403, 403)),
    ("GET", "/api/v1/movein-requests", "/api/v1/movein-requests", (401, 200, 200, 403, 200, 200)),
    (
        "POST",
        "/api/v1/movein-requests/<int:request_id>/confirm",
        "/api/v1/movein-requests/{movein}/confirm",
        (401, 409, 403, 403, 200, 403),
    ),
    (
        "POST",
        "/api/v1/movein-requests/<int:request_id>/reject",
        "/api/v1/movein-requests/{movein}/reject",
        (401, 400, 403, 403, 400, 403),
    ),
    # 属地化: everyone reads (a manager their buildings' items), leaders do not work the targets
    ("GET", "/localisation", "/localisation", (302, 200, 200, 200, 200, 200)),
    ("GET", "/localisation/export", "/localisation/export?format=csv", (302, 200, 200, 200, 200, 200)),
    ("GET", "/buildings/<code>/localisation", "/buildings/{code}/localisation", (302, 200, 200, 200, 200, 403)),
    ("GET", "/localisation/items/<int:item_id>", "/localisation/items/{loc_item}", (302, 200, 200, 200, 200, 403)),
    ("POST", "/localisation/start", "/localisation/start", (302, 400, 403, 400, 400, 400)),
    (
        "POST",
        "/localisation/items/<int:item_id>/owner",
        "/localisation/items/{loc_item}/owner",
        (302, 302, 403, 302, 302, 403),
    ),
    (
        "POST",
        "/localisation/items/<int:item_id>/state",
        "/localisation/items/{loc_item}/state",
        (302, 400, 403, 400, 400, 403),
    ),
    (
        "POST",
        "/localisation/items/<int:item_id>/followups",
        "/localisation/items/{loc_item}/followups",
        (302, 400, 403, 400, 400, 403),
    ),
    ("GET", "/api/v1/localisation", "/api/v1/localisation", (401, 200, 200, 200, 200, 200)),
    # warnings: everyone reads those of their scope; the manager of the building (and an admin)
    # handles them, a promoter only their own; the thresholds are the admin's
    ("GET", "/warnings", "/warnings", (302, 200, 200, 200, 200, 200)),
    ("GET", "/warnings/<int:warning_id>", "/warnings/{warning}", (302, 200, 200, 200, 200, 403)),
    ("POST", "/warnings/<int:warning_id>/start", "/warnings/{warning}/start", (302, 200, 403, 403, 302, 403)),
    ("POST", "/warnings/<int:warning_id>/resolve", "/warnings/{warning}/resolve", (302, 200, 403, 403, 200, 403)),
    ("POST", "/warnings/<int:warning_id>/notes", "/warnings/{warning}/notes", (302, 200, 403, 403, 200, 403)),
    ("GET", "/admin/warnings/settings", "/admin/warnings/settings", (302, 200, 403, 403, 403, 403)),
    ("POST", "/admin/warnings/settings", "/admin/warnings/settings", (302, 200, 403, 403, 403, 403)),
    ("GET", "/api/v1/warnings", "/api/v1/warnings", (401, 200, 200, 200, 200, 200)),
    # append new routes above this line
]

# Builders of extra placeholders: functions (session, world) -> {name: value}, world being the
# dict of the objects above (buildings "a" and "b", users by actor name, "unit", "lease", ...).
from tests import candidate_district  # noqa: E402
from tests.jobs.authz_world import authz_reminders_world  # noqa: E402
from tests.authz_accounts import authz_accounts_world  # noqa: E402
from tests.authz_imports import authz_imports_world  # noqa: E402
from tests.authz_pipeline import authz_pipeline_world  # noqa: E402
from tests.authz_briefings import authz_briefings_world  # noqa: E402
from tests.authz_localisation import authz_localisation_world  # noqa: E402
from tests.authz_warnings import authz_warnings_world  # noqa: E402
from tests.authz_space import authz_space_world  # noqa: E402

WORLD_BUILDERS = [
    candidate_district.authz_tax_world,  # tax for building A
    authz_reminders_world,  # an admin's notification and a failed delivery
    authz_accounts_world,  # a staff account and a token
    authz_pipeline_world,  # the promoter's lead and a pending move-in request
    authz_briefings_world,  # an archived briefing
    authz_warnings_world,  # a pending warning of building A
    authz_imports_world,  # the admin's import batch
    authz_localisation_world,  # a 属地化 work item of building A
    authz_space_world,  # a photo of building A and an archived proposal of the lead
    # append new builders above this line
]
