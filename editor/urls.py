from django.urls import path

from . import api, guide, openapi, views

urlpatterns = [
    path("", views.home, name="home"),
    path("portrait/", views.tool, {"tool": "portrait"}, name="portrait"),
    path("remove-background/", views.tool, {"tool": "cutout"}, name="cutout"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/status", views.job_status, name="job-status"),
    path("jobs/<uuid:job_id>/retry", views.job_retry, name="job-retry"),
    path("jobs/<uuid:job_id>/look", views.job_look, name="job-look"),
    path("jobs/<uuid:job_id>/<str:name>", views.job_file, name="job-file"),
    path("guide/", guide.index, name="guide"),
    path("guide/<slug:slug>/", guide.page, name="guide-page"),
    path("api/", openapi.page, name="api-docs"),
    path("api/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("api/jobs", api.create_job, name="api-jobs"),
    path("api/jobs/<uuid:job_id>", api.job_detail, name="api-job"),
    path("api/jobs/<uuid:job_id>/render", api.render_job, name="api-job-render"),
]
