"""Learned win and conversion probabilities with scikit-learn, behind `core.ports.ModelTrainer`."""

from bot.learning.model import LearnedModel, load_model
from bot.learning.trainer import SklearnTrainer

__all__ = ["LearnedModel", "SklearnTrainer", "load_model"]
