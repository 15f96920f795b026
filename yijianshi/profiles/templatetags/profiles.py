from django import template

from yijianshi.profiles.domain import mask_evidence

register = template.Library()


@register.filter
def masked_evidence(value) -> str:
    """A fact's evidence with any ID or mobile number in it masked (certificate numbers can embed them)."""
    return mask_evidence(str(value or ""))
