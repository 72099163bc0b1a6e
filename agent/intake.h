#ifndef HG_INTAKE_H
#define HG_INTAKE_H
#endif
