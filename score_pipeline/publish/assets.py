"""The publication asset: the analysts' copy of the marts."""

from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.resources import WarehouseResource
from score_pipeline.publish.marts import DATABASE_NAME, PUBLISHED_MARTS, publish_marts

MART_KEYS = [AssetKey(["marts", name]) for name in PUBLISHED_MARTS]


@asset(key=["published", "score_marts"], deps=MART_KEYS, group_name="published", kinds={"duckdb", "parquet"},
       pool=settings.WAREHOUSE_POOL, owners=["team:data-engineering"],
       description=f"{DATABASE_NAME} (schema marts only) and one Parquet file per mart in SCORE_PUBLISH_DIR, "
                   "swapped in atomically at the end of a successful run.")
def published_marts(warehouse: WarehouseResource) -> MaterializeResult:
    published = publish_marts(warehouse.database, settings.publish_dir())
    return MaterializeResult(metadata={
        "publish_dir": MetadataValue.path(str(settings.publish_dir())),
        "database": MetadataValue.path(str(published[-1])),
        "files": len(published),
        "bytes": sum(p.stat().st_size for p in published),
    })


publish_assets = [published_marts]
