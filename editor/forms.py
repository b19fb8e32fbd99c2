from django import forms
from django.conf import settings

from .imaging import decode
from .imaging.errors import ImageError
from .imaging.pipeline import TOOLS

ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Your photo",
        error_messages={
            "required": "Please choose a photo to upload.",
            "empty": "That file is empty. Please choose a photo.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_image(self):
        upload = self.cleaned_data["image"]
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {upload.size / 1048576:.1f} MB; "
                f"the limit is {settings.MAX_UPLOAD_MB} MB."
            )
        data = upload.read()
        try:
            found = decode.check(data, settings.MAX_MEGAPIXELS * 1_000_000)
        except ImageError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.cleaned_data["data"] = data
        self.cleaned_data["extension"] = found.extension
        return upload

    def job_fields(self) -> dict:
        """What jobs.submit needs from a valid form."""
        return {
            "data": self.cleaned_data["data"],
            "filename": self.cleaned_data["image"].name,
            "extension": self.cleaned_data["extension"],
        }


class ApiUploadForm(UploadForm):
    tool = forms.ChoiceField(
        choices=[(tool, tool) for tool in TOOLS],
        error_messages={
            "required": "Say which tool: portrait or cutout.",
            "invalid_choice": "tool must be portrait or cutout.",
        },
    )
