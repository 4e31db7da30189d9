"""Configuration screens: partners, barrier categories, topics, organisations."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, select
from wtforms import Form, ValidationError, validators

from admin_views.base import KimModelView
from admin_views.forms import EMAIL
from app.clock import today
from app.extensions import db
from models import Barrier, BarrierCategory, Partner, Referral, Topic, case_topic
from models.choices import BenefitsDomain, PartnerKind
from models.labels import LABELS
from models.organisation import DEFAULT_NO_CONTACT_DAYS, Organisation
from models.permissions import Permission, has_permission
from models.referral_workflow import referral_counts_by_partner

IN_USE_MESSAGE = _l(
    "Dieser Eintrag wird in Datensätzen verwendet und kann nicht gelöscht werden. "
    "Bitte deaktivieren Sie ihn stattdessen."
)


class CatalogueView(KimModelView):
    """A shared list: everyone reads it; entries in use are deactivated, never deleted."""

    column_labels = LABELS
    column_default_sort = [("sort_order", False), ("name", False)]
    column_list = ["name", "description", "sort_order", "active"]
    column_searchable_list = ["name", "description"]
    column_filters = ["active"]
    form_columns = ["name", "description", "sort_order", "active"]
    read_permission = Permission.CATALOGUE_READ
    create_permission = Permission.CATALOGUE_WRITE
    edit_permission = Permission.CATALOGUE_WRITE
    delete_permission = Permission.CATALOGUE_WRITE
    export_permission = Permission.CATALOGUE_READ
    form_args = {"description": {"render_kw": {"rows": 3}}}

    def usage_checks(self, model: Any) -> list[Any]:
        """EXISTS clauses, one per kind of record that may refer to ``model``."""
        raise NotImplementedError

    def on_model_delete(self, model: Any) -> None:
        if any(db.session.execute(select(check)).scalar() for check in self.usage_checks(model)):
            raise ValidationError(str(IN_USE_MESSAGE))


class BarrierCategoryView(CatalogueView):
    singular_name = _l("Barriere-Kategorie")
    export_basename = "barriere_kategorien"

    def usage_checks(self, model: BarrierCategory) -> list[Any]:
        return [exists().where(Barrier.category_id == model.id)]


class TopicView(CatalogueView):
    singular_name = _l("Handlungsfeld")
    export_basename = "handlungsfelder"

    def usage_checks(self, model: Topic) -> list[Any]:
        return [
            exists().where(case_topic.c.topic_id == model.id),
            exists().where(Referral.topic_id == model.id),
        ]


REFERRAL_COUNT_COLUMNS = ("open_referrals", "overdue_referrals")


class PartnerView(CatalogueView):
    singular_name = _l("Partner")
    export_basename = "partner"
    read_permission = Permission.PARTNER_READ
    create_permission = Permission.PARTNER_WRITE
    edit_permission = Permission.PARTNER_WRITE
    delete_permission = Permission.PARTNER_DELETE
    export_permission = Permission.PARTNER_READ
    column_default_sort = [("name", False)]
    column_list = [
        "name",
        "kind",
        "benefits_domain",
        "phone",
        "organisation",
        "active",
        *REFERRAL_COUNT_COLUMNS,
    ]
    column_export_list = ["name", "kind", "benefits_domain", "phone", "organisation", "active"]
    column_labels = {
        **LABELS,
        "open_referrals": _l("Offene Vermittlungen"),
        "overdue_referrals": _l("davon überfällig"),
    }
    column_formatters = {
        "open_referrals": lambda view, context, model, name: view.referral_count(model, 0),
        "overdue_referrals": lambda view, context, model, name: view.referral_count(model, 1),
    }
    column_searchable_list = ["name", "contact_person", "street"]
    column_filters = ["kind", "benefits_domain", "active", "organisation.name"]
    form_columns = [
        "name",
        "kind",
        "benefits_domain",
        "organisation",
        "street",
        "postcode",
        "city",
        "phone",
        "email",
        "website",
        "contact_person",
        "active",
    ]
    column_details_list = form_columns
    choice_fields = {
        "kind": PartnerKind.choices(),
        "benefits_domain": BenefitsDomain.choices(),
    }
    form_args = {
        "email": {"validators": [validators.Optional(), EMAIL]},
        "website": {"validators": [validators.Optional(), validators.URL()]},
    }

    def _restrict_form(self, form: Form) -> Form:
        # A link to a KIM organisation routes referrals, with client contact details, to
        # that organisation: only the coordination and admins may set it.
        if not has_permission(current_user, Permission.ORGANISATIONS_READ):
            del form["organisation"]
        return form

    def create_form(self, obj: Any = None) -> Form:
        return self._restrict_form(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Form:
        return self._restrict_form(super().edit_form(obj))

    # --- open and overdue referrals of the own organisation, one query per page ----------

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, partners = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True) and has_permission(current_user, Permission.CASEWORK_READ):
            g.partner_referral_counts = referral_counts_by_partner(
                db.session(), current_user, [p.id for p in partners], today()
            )
        return count, partners

    def referral_count(self, model: Partner, position: int) -> int:
        return g.get("partner_referral_counts", {}).get(model.id, (0, 0))[position]

    def render(self, template: str, **kwargs: Any) -> Any:
        # The counts are case-level data: other roles get the list without those columns.
        if "list_columns" in kwargs and not has_permission(current_user, Permission.CASEWORK_READ):
            kwargs["list_columns"] = [
                column
                for column in kwargs["list_columns"]
                if column[0] not in REFERRAL_COUNT_COLUMNS
            ]
        return super().render(template, **kwargs)

    def usage_checks(self, model: Partner) -> list[Any]:
        return [
            exists().where(Barrier.partner_id == model.id),
            exists().where(Referral.partner_id == model.id),
        ]


class OrganisationView(KimModelView):
    """Read by the coordination, kept by admins; organisations are deactivated, not deleted."""

    singular_name = _l("Organisation")

    read_permission = Permission.ORGANISATIONS_READ
    create_permission = Permission.ORGANISATIONS_WRITE
    edit_permission = Permission.ORGANISATIONS_WRITE
    column_labels = LABELS
    column_list = ["slug", "name", "active"]
    column_default_sort = [("name", False)]
    form_columns = ["slug", "name", "active", "no_contact_days"]
    form_args = {
        "slug": {
            "validators": [
                validators.Regexp(
                    r"^[a-z]{2,20}$", message=_l("Nur Kleinbuchstaben a–z, 2 bis 20.")
                )
            ]
        },
        # Issue 15: after how many days without contact an open case gets a task.
        "no_contact_days": {
            "default": DEFAULT_NO_CONTACT_DAYS,
            "validators": [validators.Optional(), validators.NumberRange(min=1, max=365)],
            "description": _l("Nach so vielen Tagen ohne Kontakt entsteht eine Aufgabe (1–365)."),
        },
    }

    def on_model_change(self, form: Form, model: Organisation, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if model.no_contact_days is None:
            model.no_contact_days = DEFAULT_NO_CONTACT_DAYS
