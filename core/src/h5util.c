/* SPDX-License-Identifier: MIT
 * core/src/h5util.c - HDF5 writing steps shared by the writers (see h5util.h).
 */
#include "h5util.h"

#include <stdint.h>

int ivp_h5_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const hsize_t *dims,
                const void *value)
{
    hid_t space = dims != NULL ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    int rc = -1;
    if (space >= 0) {
        attr = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr >= 0 && H5Awrite(attr, mtype, value) >= 0) {
            rc = 0;
        }
    }
    if (attr >= 0 && H5Aclose(attr) < 0) {
        rc = -1;
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    return rc;
}

hid_t ivp_h5_str_type(size_t len)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0) {
        return H5I_INVALID_HID;
    }
    if (H5Tset_size(type, len == 0 ? H5T_VARIABLE : len) < 0 ||
        H5Tset_cset(type, len == 0 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) < 0 ||
        (len > 0 && H5Tset_strpad(type, H5T_STR_NULLPAD) < 0)) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

int ivp_h5_event_attrs(hid_t group, size_t i, const ivp_event_opts *o, const char **failed)
{
    const char *names[3] = {"index", "direction", "terminal"};
    int64_t v[3];
    int j;
    v[0] = (int64_t)i;
    v[1] = o != NULL ? o->direction : 0;
    v[2] = o == NULL                                ? 0
           : o->terminal > (unsigned long)INT64_MAX ? INT64_MAX
                                                    : (int64_t)o->terminal;
    for (j = 0; j < 3; j++) {
        if (ivp_h5_attr(group, names[j], H5T_STD_I64LE, H5T_NATIVE_INT64, NULL, &v[j]) != 0) {
            *failed = names[j];
            return -1;
        }
    }
    return 0;
}
