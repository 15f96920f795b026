"""Masking is plain Python: what pages, API answers and logs show instead of full personal numbers."""

import logging

from yijianshi.privacy.masking import MaskPersonalDataFilter, mask_id_number, mask_mobile, mask_name, mask_text


def test_id_number_keeps_the_region_and_the_last_four():
    assert mask_id_number("61083019400101009X") == "610830********009X"


def test_mobile_keeps_prefix_and_last_four():
    assert mask_mobile("13812345678") == "138****5678"


def test_name_keeps_only_the_family_name_character():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_empty_values_mask_to_empty():
    assert mask_id_number("") == mask_mobile(None) == mask_name("") == ""


def test_free_text_numbers_are_masked_but_other_digits_are_not():
    text = "申请人 610830194001010096 电话 13800000001，办件号 20261130000123"
    assert mask_text(text) == "申请人 610830********0096 电话 138****0001，办件号 20261130000123"


def test_log_filter_masks_numbers_passed_as_arguments():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "login failed for %s", ("610830194001010096",), None)
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "login failed for 610830********0096"
