"""``GET /api/v1/analytics/links``: the figures of the analytics page as JSON (Bearer token, ``analytics.view``)."""

from __future__ import annotations

import marshmallow as ma
from flask import abort

from shopbridge import db
from shopbridge.access import ANALYTICS_VIEW, requires
from shopbridge.api import Blueprint
from shopbridge.api.common import problem_responses
from shopbridge.links import analytics, fresh_hits

blp = Blueprint("links_api", __name__, url_prefix="/api/v1/analytics",
                description="Clicks, scans and visitors of buy links")


class FiltersSchema(ma.Schema):
    start = ma.fields.Date(metadata={"description": "First day (UTC), default 29 days before end"})
    end = ma.fields.Date(metadata={"description": "Last day (UTC), default today"})
    product = ma.fields.Integer(validate=ma.validate.Range(min=1))
    link = ma.fields.Integer(validate=ma.validate.Range(min=1))
    channel = ma.fields.String(validate=ma.validate.Length(max=40))
    campaign = ma.fields.String(validate=ma.validate.Length(max=80))


class FiguresSchema(ma.Schema):
    clicks = ma.fields.Integer(required=True)
    scans = ma.fields.Integer(required=True)
    bots = ma.fields.Integer(required=True)
    visitors = ma.fields.Integer(required=True, metadata={"description": "Sum of daily unique visitors"})
    ended = ma.fields.Integer(metadata={"description": "Visits by people after the link was disabled or expired "
                                                       "(they saw the 'no longer available' page); not clicks"})
    orders = ma.fields.Integer(metadata={"description": "Paid orders that came through these links "
                                         "(totals and link, product, channel and campaign breakdowns)."})


class DaySchema(FiguresSchema):
    day = ma.fields.String(required=True)
    devices = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    in_app = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)


class GroupSchema(FiguresSchema):
    key = ma.fields.Raw(required=True)
    revenue = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                             metadata={"description": "Net revenue of those orders in minor units, per currency "
                                       "(link, product, channel and campaign breakdowns)."})


class ReportSchema(ma.Schema):
    start = ma.fields.String(required=True)
    end = ma.fields.String(required=True)
    totals = ma.fields.Nested(FiguresSchema, required=True)
    daily = ma.fields.List(ma.fields.Nested(DaySchema), required=True)
    by_link = ma.fields.List(ma.fields.Nested(GroupSchema))
    by_product = ma.fields.List(ma.fields.Nested(GroupSchema))
    by_channel = ma.fields.List(ma.fields.Nested(GroupSchema))
    by_campaign = ma.fields.List(ma.fields.Nested(GroupSchema))
    by_device = ma.fields.List(ma.fields.Nested(GroupSchema))
    by_in_app = ma.fields.List(ma.fields.Nested(GroupSchema))


@blp.route("/links")
@requires(ANALYTICS_VIEW)
@blp.arguments(FiltersSchema, location="query")
@blp.response(200, ReportSchema)
@problem_responses(401, 403, 422)
def link_report(args):
    """Attribution figures for a period.

    Clicks, scans, unique visitors, bots, device and in-app splits per day, and per link, product, channel,
    campaign, device and in-app browser: the same figures as the admin's analytics page.
    """
    defaults = analytics.Filters.last_days(30)
    end = args.get("end") or defaults.end
    start = args.get("start") or (end - (defaults.end - defaults.start))
    filters = analytics.Filters(start=start, end=end, product_id=args.get("product"), link_id=args.get("link"),
                                channel=args.get("channel") or None, campaign=args.get("campaign") or None)
    try:
        filters.check()
    except analytics.AnalyticsError as exc:
        abort(422, description=str(exc))
    fresh_hits()
    return analytics.report(db.session(), filters).as_dict()
