"""Nutrition, lifestyle and hormonal inputs turned into model events."""
