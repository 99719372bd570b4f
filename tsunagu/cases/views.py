"""Case registry pages for police users."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest, get_for_user


def officer_home(request: AuthedRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user).filter(is_open=True)[:50]
    return render(request, "cases/home.html", {"cases": cases})


def case_list(request: AuthedRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user)[:50]
    return render(request, "cases/list.html", {"cases": cases})


def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_for_user(Case, request.user, pk)
    return render(request, "cases/detail.html", {"case": case})
