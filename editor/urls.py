from django.urls import path

from editor.api import batches as api_batches
from editor.api import openapi
from editor.api import views as api
from editor.web import batches, guide, views

urlpatterns = [
    path("", views.home, name="home"),
    path("portrait/", views.tool, {"tool": "portrait"}, name="portrait"),
    path("remove-background/", views.tool, {"tool": "cutout"}, name="cutout"),
    path("portrait/batch", batches.create, {"tool": "portrait"}, name="portrait-batch"),
    path("remove-background/batch", batches.create, {"tool": "cutout"}, name="cutout-batch"),
    path("batches/<uuid:batch_id>/", batches.page, name="batch"),
    path("batches/<uuid:batch_id>/status", batches.status, name="batch-status"),
    path("batches/<uuid:batch_id>/look", batches.look, name="batch-look"),
    path("batches/<uuid:batch_id>/zip", batches.download, name="batch-zip"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/status", views.job_status, name="job-status"),
    path("jobs/<uuid:job_id>/retry", views.job_retry, name="job-retry"),
    path("jobs/<uuid:job_id>/look", views.job_look, name="job-look"),
    path("jobs/<uuid:job_id>/<str:name>", views.job_file, name="job-file"),
    path("guide/", guide.index, name="guide"),
    path("guide/<slug:slug>/", guide.page, name="guide-page"),
    path("api/", openapi.page, name="api-docs"),
    path("api/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("api/batches", api_batches.create, name="api-batches"),
    path("api/batches/<uuid:batch_id>", api_batches.detail, name="api-batch"),
    path("api/batches/<uuid:batch_id>/zip", api_batches.zip_download, name="api-batch-zip"),
    path("api/jobs", api.create_job, name="api-jobs"),
    path("api/jobs/<uuid:job_id>", api.job_detail, name="api-job"),
    path("api/jobs/<uuid:job_id>/render", api.render_job, name="api-job-render"),
    path("api/jobs/<uuid:job_id>/mask", api.edit_mask, name="api-job-mask"),
]
