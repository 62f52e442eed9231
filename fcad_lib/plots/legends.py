"""Class names for categorical layers (lithology, land cover), so legends show names, not codes.

Names come from what the data provider ships beside the raster: a GDAL raster attribute table or
category list in ``<raster>.aux.xml`` (Balakot's land cover), or the attribute table of a vector
layer with the same stem (Balakot's ``Geology.shp``: ``unit`` -> ``Formation``). The generated
areas' lithology units are named by the generator (``LITHOLOGY_UNITS``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

#: Column pairs (code, name) looked for in a vector layer's attribute table, in order.
VECTOR_NAME_COLUMNS = (("unit", "Formation"), ("unit", "Name"), ("code", "name"),
                       ("class", "name"), ("value", "description"))

#: Roles drawn as classes.
CLASS_ROLES = ("lithology", "landcover", "land_cover")

#: Generated areas whose generator is this module get their lithology names from it.
GENERATOR_MODULE = "fcad_lib.data.generator"


def names_from_aux_xml(path: str | Path) -> dict[int, str]:
    """Class names from a GDAL PAM sidecar (``<raster>.aux.xml``), or ``{}`` when it has none.

    Reads a thematic raster attribute table (a ``VALUE``-like integer field and the first string
    field) or, failing that, a ``CategoryNames`` list (category i is code i).
    """
    aux = Path(f"{path}.aux.xml")
    if not aux.exists():
        return {}
    root = ET.parse(aux).getroot()
    band = root.find("PAMRasterBand")
    if band is None:
        return {}
    rat = band.find("GDALRasterAttributeTable")
    if rat is not None:
        fields = {int(f.get("index")): (f.findtext("Name", "").lower(), f.findtext("Type", ""))
                  for f in rat.findall("FieldDefn")}
        value_i = next((i for i, (n, _) in fields.items() if n in ("value", "code", "class")),
                       None)
        name_i = next((i for i, (_, t) in sorted(fields.items()) if t == "2"), None)  # string
        if value_i is not None and name_i is not None:
            out = {}
            for row in rat.findall("Row"):
                cells = [f.text or "" for f in row.findall("F")]
                out[int(float(cells[value_i]))] = cells[name_i].strip()
            return out
    cats = band.find("CategoryNames")
    if cats is not None:
        return {i: (c.text or "").strip() for i, c in enumerate(cats.findall("Category"))
                if (c.text or "").strip()}
    return {}


def names_from_vector(path: str | Path) -> dict[int, str]:
    """Class names from the attribute table of a vector file (first matching column pair)."""
    import pyogrio

    table = pyogrio.read_dataframe(path, read_geometry=False)
    lower = {c.lower(): c for c in table.columns}
    for code_col, name_col in VECTOR_NAME_COLUMNS:
        if code_col.lower() in lower and name_col.lower() in lower:
            pairs = table[[lower[code_col.lower()], lower[name_col.lower()]]].dropna()
            return {int(c): str(n).strip() for c, n in pairs.itertuples(index=False)}
    return {}


def class_names(path: str | Path) -> dict[int, str]:
    """Class names for a categorical raster: its ``.aux.xml``, else a same-stem shapefile."""
    path = Path(path)
    names = names_from_aux_xml(path)
    if names:
        return names
    for ext in (".shp", ".gpkg"):
        vector = path.with_suffix(ext)
        if vector.exists() and vector != path:
            return names_from_vector(vector)
    return {}


def class_names_for_area(study_area: Any) -> dict[str, dict[int, str]]:
    """``{factor: {code: name}}`` for the categorical layers of a manifest study area.

    Parameters
    ----------
    study_area : fcad_lib.data.manifest.StudyArea
        From :func:`fcad_lib.data.manifest.get_area`.

    Returns
    -------
    dict
        Only layers for which names were found; the factor key is the layer's role.
    """
    out = {}
    for layer in study_area.layers:
        if layer.role in CLASS_ROLES and Path(layer.path).exists():
            names = class_names(layer.path)
            if names:
                out[layer.role] = names
    generator = getattr(study_area, "generator", None)
    if (generator is not None and "lithology" not in out
            and generator.function.startswith(GENERATOR_MODULE)
            and any(layer.role == "lithology" for layer in study_area.layers)):
        # a generated area's units are named by the generator itself, not by a sidecar file
        from fcad_lib.data.generator import LITHOLOGY_UNITS

        out["lithology"] = {code: unit[0] for code, unit in LITHOLOGY_UNITS.items()}
    return out
