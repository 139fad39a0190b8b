from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    """Each role lands on its own home page."""
    user = request.user
    if user.is_bappeda and user.is_staff:
        return redirect("admin:index")
    return render(request, "home.html")
