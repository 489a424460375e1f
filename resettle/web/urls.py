from django.urls import path

from resettle.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("households/", views.household_list, name="households"),
    path("households/<uuid:household_id>/", views.household_detail, name="household"),
    path("persons/", views.person_list, name="persons"),
    path("persons/<uuid:person_id>/", views.person_detail, name="person"),
]
