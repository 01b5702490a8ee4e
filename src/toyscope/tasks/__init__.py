"""Tasks and data: image datasets from the data directory (checksummed), and synthetic tasks."""

from ._datasets import (
    DATA_ENV,
    DATASETS,
    SPLITS,
    CorruptDataError,
    Dataset,
    DataUnavailable,
    data_dir,
    load_dataset,
)
from ._boolean import binary_inputs, boolean_task, xor_task
from ._class_groups import check_class_groups, class_group_task, scale_pixels, split_group

__all__ = [
    "DATASETS", "DATA_ENV", "SPLITS", "CorruptDataError", "DataUnavailable", "Dataset", "binary_inputs",
    "boolean_task", "check_class_groups", "class_group_task", "data_dir", "load_dataset", "scale_pixels",
    "split_group", "xor_task",
]
