"""The request's keyword parameters, stated once.

:class:`RequestParams` names the API's 13 request fields with their types; the enumerated
ones are ``Literal`` types (:data:`Mode`, :data:`QualityTier`, :data:`Channel`,
:data:`AspectRatio`, :data:`Resolution`), so a type checker refuses
``resolution="480p"``. Their values are the core's (a test compares them with
``seedance._seedance.REQUEST_VALUES``, the table the native validation uses).

``Client.submit``/``generate`` (and ``AsyncClient``'s) take ``**params:
Unpack[RequestParams]``; :func:`takes_request` gives them, at run time, the signature and
the docstring section that ``help()`` and editors show, both derived from this class.
"""

from typing import Any, Callable, List, Literal, Optional, Sequence, TypedDict, TypeVar, Union, get_type_hints
import inspect

__all__ = ["RequestParams", "Mode", "QualityTier", "Channel", "AspectRatio", "Resolution"]

#: ``mode``: what the clip is generated from.
Mode = Literal["text-to-video", "image-to-video", "media-to-video"]
#: ``quality_tier``: price and quality.
QualityTier = Literal["mini", "standard", "pro"]
#: ``channel``: the model channel.
Channel = Literal["standard", "real", "wild"]
#: ``aspect_ratio``: the frame's shape.
AspectRatio = Literal["1:1", "21:9", "4:3", "3:4", "16:9", "9:16", "adaptive"]
#: ``resolution``: ``1080p-plus`` and ``4k`` only with ``quality_tier="pro"``.
Resolution = Literal["720p", "1080p", "1080p-plus", "4k"]


class _Prompt(TypedDict):
    prompt: str


class RequestParams(_Prompt, total=False):
    """The request parameters, named as in the API (unset or ``None``: the server's
    default):

    prompt: what to film, 3–10000 characters (required).
    mode: ``"text-to-video"`` (default), ``"image-to-video"`` (needs ``image_url``) or
        ``"media-to-video"`` (needs ``media_urls``); inferred from the references when
        not given.
    quality_tier: ``"mini"``, ``"standard"`` (default) or ``"pro"``.
    channel: ``"standard"`` (default), ``"real"`` or ``"wild"``.
    aspect_ratio: ``"16:9"`` (default), ``"1:1"``, ``"21:9"``, ``"4:3"``, ``"3:4"``,
        ``"9:16"`` or ``"adaptive"``.
    duration: seconds, 4–15 (default 5), an int or its string (``"5"``).
    resolution: ``"720p"`` (default), ``"1080p"``, ``"1080p-plus"`` or ``"4k"`` (the
        last two only with ``quality_tier="pro"``).
    image_url: the opening frame, a public https URL (``image-to-video``).
    end_image_url: the closing frame, a public https URL (``image-to-video``).
    media_urls: 1–12 public https image/video URLs (``media-to-video``).
    generate_audio: whether the clip has sound (default ``True``).
    fixed_lens: lock the camera lens (default ``False``).
    seed: -1 – 4294967295, for a repeatable render; not on the ``real`` channel nor the
        ``mini`` tier.
    """

    mode: Optional[Mode]
    quality_tier: Optional[QualityTier]
    channel: Optional[Channel]
    aspect_ratio: Optional[AspectRatio]
    duration: Optional[Union[int, str]]
    resolution: Optional[Resolution]
    image_url: Optional[str]
    end_image_url: Optional[str]
    media_urls: Optional[Sequence[str]]
    generate_audio: Optional[bool]
    fixed_lens: Optional[bool]
    seed: Optional[int]


F = TypeVar("F", bound=Callable[..., Any])


def _request_parameters() -> List[inspect.Parameter]:
    hints = get_type_hints(RequestParams)
    out = []
    for name, hint in hints.items():
        required = name in RequestParams.__required_keys__
        default = inspect.Parameter.empty if required else None
        out.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint))
    # `prompt` first, as it is the one to give.
    return sorted(out, key=lambda p: p.default is not inspect.Parameter.empty)


def takes_request(fn: F) -> F:
    """Gives a method taking ``**params: Unpack[RequestParams]`` the signature and the
    docstring of the request's keywords, for ``help()``, ``inspect.signature`` and
    editors (type checkers read the ``Unpack`` annotation itself)."""
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    self_param, rest = own[0], own[1:]
    fn.__signature__ = sig.replace(parameters=[self_param, *_request_parameters(), *rest])  # type: ignore[attr-defined]
    fn.__doc__ = inspect.cleandoc(fn.__doc__ or "") + "\n\n" + inspect.cleandoc(RequestParams.__doc__ or "")
    return fn
