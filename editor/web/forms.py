from django import forms
from django.conf import settings

from editor.imaging import decode
from editor.imaging.errors import ImageError
from editor.imaging.formats import ACCEPT
from editor.imaging.options import FORMATS, STRENGTHS, TOOLS, Options

FORMAT_LABELS = {
    "jpeg": "JPEG",
    "webp": "WebP",
    "png": "PNG",
    "webp-lossless": "WebP (lossless)",
}


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
        """What services.job_submit needs from a valid form."""
        return {
            "data": self.cleaned_data["data"],
            "filename": self.cleaned_data["image"].name,
            "extension": self.cleaned_data["extension"],
        }


class LookForm(forms.Form):
    """The options that change a result without a new mask. Every field is optional."""

    strength = forms.FloatField(
        required=False, min_value=STRENGTHS[0], max_value=STRENGTHS[1], label="Blur strength"
    )
    style = forms.ChoiceField(
        required=False,
        choices=[("gaussian", "Soft (Gaussian)"), ("lens", "Lens (round highlights)")],
    )
    background = forms.CharField(required=False, max_length=11)  # transparent|blur|colour|#rrggbb
    colour = forms.RegexField(required=False, regex=r"^#[0-9a-fA-F]{6}$")
    format = forms.ChoiceField(required=False, choices=list(FORMAT_LABELS.items()))
    keep_camera_details = forms.BooleanField(required=False)

    def __init__(self, *args, tool: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tool = tool
        self.fields["format"].choices = [(f, FORMAT_LABELS[f]) for f in FORMATS[tool]]

    @classmethod
    def showing(cls, options: dict, *, tool: str) -> "LookForm":
        """The form set to a look as stored (a colour background is "#rrggbb" there)."""
        initial = dict(options)
        background = initial.get("background", "transparent")
        if background.startswith("#"):
            initial.update(background="colour", colour=background)
        return cls(initial=initial, tool=tool)

    def clean(self):
        data = super().clean()
        background = data.get("background") or "transparent"
        if background == "colour":
            background = data.get("colour") or "#ffffff"
        chosen = Options(
            strength=data.get("strength") or 1.0,
            style=data.get("style") or "gaussian",
            background=background,
            format=data.get("format") or "",
            keep_camera_details=bool(data.get("keep_camera_details")),
        )
        try:
            self.cleaned_data["options"] = chosen.check(self.tool)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data


class ApiUploadForm(UploadForm):
    tool = forms.ChoiceField(
        choices=[(tool, tool) for tool in TOOLS],
        error_messages={
            "required": "Say which tool: portrait or cutout.",
            "invalid_choice": "tool must be portrait or cutout.",
        },
    )


def first_error(*forms_: forms.Form) -> str:
    """The first message, with any value it quotes cut short: never echo a megabyte back."""
    for form in forms_:
        for errors in form.errors.as_data().values():
            error = errors[0]
            params = {key: _short(value) for key, value in (error.params or {}).items()}
            return forms.ValidationError(error.message, params=params or None).messages[0]
    return ""


def _short(value: object, limit: int = 40) -> object:
    return value[:limit] + "…" if isinstance(value, str) and len(value) > limit else value
