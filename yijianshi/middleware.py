"""Request hygiene shared by every page and endpoint."""

from django.http import HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "请求中含有不允许的控制字符（NUL），请检查输入。"


class RejectNulCharactersMiddleware:
    """Refuse a NUL character in the path or query string with a 400.

    PostgreSQL cannot store or compare NUL in text, so such a value would otherwise fail as a 500 deep in
    whatever query first uses it; one check here covers every view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query_values = (value for values in request.GET.lists() for value in [values[0], *values[1]])
        if "\x00" in request.path or any("\x00" in value for value in query_values):
            if request.path.startswith("/api/"):
                return JsonResponse({"message": NUL_MESSAGE, "detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
