"""Class names read from the files a data provider ships beside a categorical raster."""

import geopandas as gpd
from shapely.geometry import box

from fcad_lib.plots.legends import class_names

AUX = """<PAMDataset><PAMRasterBand band="1">
<GDALRasterAttributeTable tableType="thematic">
<FieldDefn index="0"><Name>OID</Name><Type>0</Type><Usage>5</Usage></FieldDefn>
<FieldDefn index="1"><Name>VALUE</Name><Type>1</Type><Usage>5</Usage></FieldDefn>
<FieldDefn index="2"><Name>description</Name><Type>2</Type><Usage>5</Usage></FieldDefn>
<Row index="0"><F>0</F><F>1</F><F>Water</F></Row>
<Row index="1"><F>1</F><F>4</F><F>Forest</F></Row>
</GDALRasterAttributeTable></PAMRasterBand></PAMDataset>"""


def test_names_from_a_raster_attribute_table(tmp_path):
    tif = tmp_path / "Landcover.tif"
    tif.write_bytes(b"")
    (tmp_path / "Landcover.tif.aux.xml").write_text(AUX)
    assert class_names(tif) == {1: "Water", 4: "Forest"}


def test_names_from_a_same_stem_shapefile(tmp_path):
    gdf = gpd.GeoDataFrame({"unit": [7, 20], "Formation": ["Abbottabad Fm", "Alluvium"]},
                           geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:32643")
    gdf.to_file(tmp_path / "Geology.shp")
    assert class_names(tmp_path / "Geology.tif") == {7: "Abbottabad Fm", 20: "Alluvium"}


def test_no_names_without_a_sidecar(tmp_path):
    assert class_names(tmp_path / "lithology.tif") == {}
