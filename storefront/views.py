from django.core.paginator import Paginator


def paginate(request, items, *, per_page: int = 12):
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))
