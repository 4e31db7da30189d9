"""The admin panel: every screen and the permission each needs."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_views.casework import BarrierView, CaseView, ClientView, ContactView, ReferralView
from admin_views.catalogue import BarrierCategoryView, OrganisationView, PartnerView, TopicView
from admin_views.start import StartView
from admin_views.users import UserView
from app.extensions import db
from models import Barrier, BarrierCategory, Case, Client, Contact, Organisation, Partner, Referral
from models import Topic, User

CASEWORK = _l("Fallarbeit")
SETTINGS = _l("Einstellungen")


def register_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="KIM Admin",
        theme=Bootstrap4Theme(swatch="default", base_template="admin/kim_base.html"),
        index_view=StartView(name=_l("Start"), url="/admin", template="admin/start.html"),
    )
    session = db  # Flask-Admin resolves db.session per request
    admin.add_view(ClientView(Client, session, name=_l("Klient*innen"), endpoint="clients",
                              url="clients", category=CASEWORK))
    admin.add_view(CaseView(Case, session, name=_l("Fälle"), endpoint="cases", url="cases",
                            category=CASEWORK))
    admin.add_view(ContactView(Contact, session, name=_l("Kontakte"), endpoint="contacts",
                               url="contacts", category=CASEWORK))
    admin.add_view(BarrierView(Barrier, session, name=_l("Barrieren"), endpoint="barriers",
                               url="barriers", category=CASEWORK))
    admin.add_view(ReferralView(Referral, session, name=_l("Vermittlungen"), endpoint="referrals",
                                url="referrals", category=CASEWORK))
    admin.add_view(PartnerView(Partner, session, name=_l("Partner"), endpoint="partners",
                               url="partners", category=SETTINGS))
    admin.add_view(BarrierCategoryView(BarrierCategory, session, name=_l("Barriere-Kategorien"),
                                       endpoint="barrier_categories", url="barrier-categories",
                                       category=SETTINGS))
    admin.add_view(TopicView(Topic, session, name=_l("Handlungsfelder"), endpoint="topics",
                             url="topics", category=SETTINGS))
    admin.add_view(OrganisationView(Organisation, session, name=_l("Organisationen"),
                                    endpoint="organisations", url="organisations",
                                    category=SETTINGS))
    admin.add_view(UserView(User, session, name=_l("Benutzer*innen"), endpoint="users",
                            url="users", category=SETTINGS))
    return admin
